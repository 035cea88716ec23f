package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.config.ConfigException;
import dev.contactcenter.config.ConfigLoader;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.CallProbe;
import dev.contactcenter.support.TestApp;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("GET /metrics (Prometheus)")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MetricsTest {

  private static final String METRICS_TOKEN = "metrics-token-for-tests-0123456789";

  @Test
  @DisplayName("is not served unless METRICS_ENABLED is true")
  void offByDefault() throws Exception {
    try (TestApp app = TestApp.start()) {
      ApiClient.Response r = app.client().get("/metrics", null);
      assertThat(r.status()).isEqualTo(404);
    }
  }

  @Test
  @DisplayName("with METRICS_TOKEN, refuses a scrape without the token and counts a call's whole life with it")
  void countsACall() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("METRICS_ENABLED", "true");
    env.put("METRICS_TOKEN", METRICS_TOKEN);
    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      ApiClient.Response refused = api.get("/metrics", null);
      assertThat(refused.status()).isEqualTo(401);
      assertThat(refused.header("WWW-Authenticate")).startsWith("Bearer");
      assertThat(api.get("/metrics", "not-the-token-at-all-0000").status()).isEqualTo(401);

      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      CallProbe calls = new CallProbe(api, token);
      String callId = calls.place("+1234567890", null);
      assertThat(calls.awaitFinal(callId, Duration.ofSeconds(20)).getString("status")).isEqualTo("completed");

      ApiClient.Response scrape = api.get("/metrics", METRICS_TOKEN);
      assertThat(scrape.status()).isEqualTo(200);
      assertThat(scrape.header("Content-Type")).startsWith("text/plain");
      String text = scrape.body();

      assertThat(value(text, "contact_center_calls_originated_total{result=\"accepted\"}")).isEqualTo(1);
      assertThat(value(text, "contact_center_calls_originated_total{result=\"refused\"}")).isZero();
      assertThat(value(text, "contact_center_calls_finished_total{status=\"completed\"}")).isEqualTo(1);
      assertThat(value(text, "contact_center_calls_finished_total{status=\"busy\"}")).isZero();
      assertThat(value(text, "contact_center_ari_connected")).isEqualTo(1);
      assertThat(value(text, "contact_center_ari_server_connected{server=\"default\"}")).isEqualTo(1);
      assertThat(value(text, "contact_center_ari_events_total{type=\"StasisStart\"}")).isGreaterThanOrEqualTo(1);
      assertThat(value(text, "contact_center_ari_events_total{type=\"ChannelDestroyed\"}")).isGreaterThanOrEqualTo(1);
      // The call's StasisEnd, dialplan steps and hang-up requests are kept off the socket by our event filter.
      assertThat(value(text, "contact_center_ari_events_ignored_total")).isZero();
      assertThat(value(text, "contact_center_origination_seconds_count{result=\"accepted\"}")).isEqualTo(1);
      assertThat(text).contains("contact_center_origination_seconds_bucket{result=\"accepted\",le=\"0.1\"}");

      // Vert.x's own: HTTP by route template (Vert.x writes the sub-router chain, "/>" + the operation's path) and
      // status, event bus, pools, JVM.
      assertThat(value(text, "vertx_http_server_requests_total{code=\"201\",method=\"POST\",route=\"/>/api/v2/calls\"}"))
          .isEqualTo(1);
      assertThat(text).containsPattern(
          "vertx_http_server_requests_total\\{code=\"200\",method=\"GET\",route=\"/>/api/v2/calls/:call_id\"} [1-9]");
      assertThat(text).contains("vertx_http_server_response_time_seconds_bucket{");
      assertThat(text).doesNotContain(callId);
      assertThat(text).contains("vertx_eventbus_processed_total{address=\"" + "db.calls.transition\"");
      assertThat(text).containsPattern("vertx_pool_(usage|in_use|queue)");
      assertThat(text).contains("jvm_memory_used_bytes");
    }
  }

  @Test
  @DisplayName("refuses a METRICS_TOKEN that is short or not header-safe, naming the key")
  void tokenValidated() {
    for (String bad : new String[] {"short", "a token with spaces in it", "x".repeat(513)}) {
      Map<String, String> env = TestApp.defaultEnv();
      env.put("METRICS_ENABLED", "true");
      env.put("METRICS_TOKEN", bad);
      assertThatThrownBy(() -> ConfigLoader.load(env)).isInstanceOf(ConfigException.class)
          .hasMessageContaining("METRICS_TOKEN");
    }
  }

  /** The value of one exact series line, e.g. {@code name{label="x"}}. */
  private static double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(text);
    if (!m.find()) {
      throw new AssertionError("no series " + series + " in:\n" + text.lines()
          .filter(l -> l.startsWith(series.replaceAll("\\{.*", ""))).reduce("", (a, b) -> a + b + "\n"));
    }
    return Double.parseDouble(m.group(1));
  }
}
