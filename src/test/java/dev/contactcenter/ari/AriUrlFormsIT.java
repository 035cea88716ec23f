package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.CallProbe;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.RealAsterisk;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ARI_HTTP_URL as operators write it (the seed README: {@code http://host:8088/ari}) reaches the real Asterisk for
 * REST and events alike; a wrong path or wrong credentials are named in {@code /health}.
 */
@DisplayName("ARI_HTTP_URL forms against a real Asterisk 22")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AriUrlFormsIT {

  @RegisterExtension
  static final RealAsterisk ASTERISK = new RealAsterisk("cc-url");

  private Map<String, String> env(String suffix) {
    Map<String, String> env = ASTERISK.serviceEnv();
    String root = env.get("ARI_HTTP_URL").replaceAll("/+$", "").replaceAll("/ari$", "");
    env.put("ARI_HTTP_URL", root + suffix);
    return env;
  }

  @ParameterizedTest(name = "ARI_HTTP_URL=http://host:port{0}")
  @ValueSource(strings = {"", "/", "/ari", "/ari/"})
  @DisplayName("each form connects the events socket and places a call that completes")
  void everyFormWorks(String suffix) throws Exception {
    try (TestApp app = TestApp.start(env(suffix))) {
      ApiClient api = app.client();
      JsonObject health = awaitHealth(api, 200);
      assertThat(health.getJsonObject("checks").getJsonObject("asterisk").getString("status")).isEqualTo("up");
      CallProbe calls = new CallProbe(api, api.login("admin", TestApp.ADMIN_PASSWORD));
      String id = calls.place("+15550000005", new JsonObject());
      JsonObject call = calls.awaitFinal(id, Duration.ofSeconds(20));
      assertThat(call.getString("status")).as(call.encode()).isEqualTo("completed");
      assertThat(calls.timeline(id)).containsExactly("dialing", "ringing", "answered", "completed");
    }
  }

  @Test
  @DisplayName("a path where ARI is not: /health says 'ARI answered 404 at <url>: check ARI_HTTP_URL'")
  void wrongPathIsNamed() throws Exception {
    try (TestApp app = TestApp.start(env("/asterisk"))) {
      String detail = awaitAsteriskDetail(app.client(), "ARI answered 404");
      assertThat(detail).contains("/asterisk/ari/events").contains("check ARI_HTTP_URL");
    }
  }

  @Test
  @DisplayName("wrong ARI credentials: /health says 'ARI answered 401' and names the credential keys")
  void wrongPasswordIsNamed() throws Exception {
    Map<String, String> env = env("");
    env.put("ARI_PASSWORD", "not-the-password");
    try (TestApp app = TestApp.start(env)) {
      String detail = awaitAsteriskDetail(app.client(), "ARI answered 401");
      assertThat(detail).contains("ARI_USERNAME").contains("ARI_PASSWORD").doesNotContain("not-the-password");
    }
  }

  private static JsonObject awaitHealth(ApiClient api, int status) {
    JsonObject[] last = new JsonObject[1];
    Calls.eventually(Duration.ofSeconds(15), () -> {
      ApiClient.Response response = api.get("/health", null);
      last[0] = response.json();
      assertThat(response.status()).as(response.body()).isEqualTo(status);
    });
    return last[0];
  }

  private static String awaitAsteriskDetail(ApiClient api, String expected) {
    String[] detail = new String[1];
    Calls.eventually(Duration.ofSeconds(15), () -> {
      ApiClient.Response response = api.get("/health", null);
      assertThat(response.status()).isEqualTo(503);
      detail[0] = response.json().getJsonObject("checks").getJsonObject("asterisk").getString("detail");
      assertThat(detail[0]).contains(expected);
    });
    return detail[0];
  }
}
