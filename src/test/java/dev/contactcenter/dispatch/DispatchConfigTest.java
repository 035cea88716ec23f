package dev.contactcenter.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.AppConfig;
import dev.contactcenter.config.ConfigException;
import dev.contactcenter.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Dispatch configuration: per-server limits, ARI_MAX_* shorthand, retry defaults")
class DispatchConfigTest {

  private static AppConfig load(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return ConfigLoader.load(env);
  }

  private static String refused(String... keyValues) {
    try {
      load(keyValues);
    } catch (ConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("accepted: " + String.join(" ", keyValues));
  }

  @Test
  @DisplayName("no limits and no retries by default: today's behaviour")
  void defaults() {
    AppConfig config = load();
    assertThat(Dispatch.limitsOf(config, "default")).isEqualTo(DispatchLimits.NONE);
    assertThat(Dispatch.limitsOf(config, "default").limited()).isFalse();
    assertThat(config.dispatch().retryDefaults().maxAttempts()).isEqualTo(1);
    assertThat(config.dispatch().pollMs()).isEqualTo(1000);
  }

  @Test
  @DisplayName("ARI_MAX_* set the limits of the one ARI_* server (and of the sandbox)")
  void shorthand() {
    AppConfig sandbox = load("ARI_MAX_CALLS_PER_SECOND", "20", "ARI_MAX_CONCURRENT_CALLS", "30",
        "ARI_MAX_QUEUE_SECONDS", "600");
    assertThat(Dispatch.limitsOf(sandbox, "default")).isEqualTo(new DispatchLimits(20, 30, 600));
    AppConfig ari = load("ARI_HTTP_URL", "http://127.0.0.1:8088", "ARI_USERNAME", "u", "ARI_PASSWORD", "p",
        "ARI_MAX_CALLS_PER_SECOND", "5");
    assertThat(ari.asteriskServers().get(0).limits()).isEqualTo(new DispatchLimits(5, 0, 0));
    assertThat(refused("ARI_MAX_CALLS_PER_SECOND", "fast")).startsWith("ARI_MAX_CALLS_PER_SECOND");
    assertThat(refused("ARI_MAX_CONCURRENT_CALLS", "-1")).startsWith("ARI_MAX_CONCURRENT_CALLS");
  }

  @Test
  @DisplayName("a server list entry carries its own limits; a bad one names the server")
  void perServer() {
    String servers = "[{\"name\": \"ast-1\", \"ari_url\": \"http://10.0.0.21:8088\", \"username\": \"cc\","
        + " \"password\": \"s\", \"max_calls_per_second\": 20, \"max_concurrent_calls\": 100},"
        + " {\"name\": \"ast-2\", \"ari_url\": \"http://10.0.0.22:8088\", \"username\": \"cc\", \"password\": \"s\"}]";
    AppConfig config = load("ASTERISK_SERVERS", servers);
    assertThat(Dispatch.limitsOf(config, "ast-1")).isEqualTo(new DispatchLimits(20, 100, 0));
    assertThat(Dispatch.limitsOf(config, "ast-2")).isEqualTo(DispatchLimits.NONE);
    assertThat(refused("ASTERISK_SERVERS", servers.replace("20,", "20.5,")))
        .contains("server 1 ('ast-1')").contains("max_calls_per_second");
  }

  @Test
  @DisplayName("CALL_RETRY_* defaults; a request's retry overrides member by member and is checked")
  void retry() {
    AppConfig config = load("CALL_RETRY_MAX_ATTEMPTS", "3", "CALL_RETRY_ON", "busy, failed",
        "CALL_RETRY_DELAY_SECONDS", "30");
    RetryPolicy defaults = config.dispatch().retryDefaults();
    assertThat(defaults).isEqualTo(new RetryPolicy(3, List.of("busy", "failed"), 30));
    assertThat(defaults.overriddenBy(new JsonObject().put("delay_seconds", 2)))
        .isEqualTo(new RetryPolicy(3, List.of("busy", "failed"), 2));
    assertThat(refused("CALL_RETRY_ON", "busy,answered")).startsWith("CALL_RETRY_ON");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> defaults.overriddenBy(
        new JsonObject().put("on", new JsonArray().add("completed")))).isInstanceOf(RetryPolicy.Invalid.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> defaults.overriddenBy(
        new JsonObject().put("max_attempts", 0))).hasMessageContaining("max_attempts");
  }
}
