package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.sandbox.SandboxTiming;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.BlockedThreadRecorder;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.FreePorts;
import dev.contactcenter.support.StandaloneAri;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The service with a real ARI configuration (no sandbox of its own) when Asterisk cannot take calls: unreachable,
 * refusing our credentials, or refusing the endpoint. A call is never left pending and never answers 500.
 */
@DisplayName("Calls when Asterisk cannot take them")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AriFailureTest {

  private int blockedMark;
  private StandaloneAri ari;
  private TestApp app;

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (ari != null) {
      ari.close();
    }
    // From the moment the service was started: start-up itself (class loading, contract parsing) is not measured.
    BlockedThreadRecorder.assertNoneSince(blockedMark);
  }

  private TestApp startAgainst(String url, String user, String password, Map<String, String> extra) throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    TestApp.withAri(env, url);
    env.put("ARI_USERNAME", user);
    env.put("ARI_PASSWORD", password);
    env.put("ARI_REQUEST_TIMEOUT", "2000");
    env.putAll(extra);
    app = TestApp.start(env);
    blockedMark = BlockedThreadRecorder.count();
    return app;
  }

  /** A sandbox the test owns, standing in for an Asterisk at some URL. */
  private String ownSandbox(String user, String password) {
    ari = StandaloneAri.start(user, password, SandboxTiming.defaults());
    return ari.url();
  }

  /** POST /calls refused with {@code status}: the problem carries the call id, and the call is stored failed. */
  private JsonObject assertCallRefused(ApiClient api, String token, int status) {
    ApiClient.Response refused = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15550000700"));
    assertThat(refused.status()).as(refused.body()).isEqualTo(status);
    assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
    String callId = refused.json().getString("call_id");
    assertThat(callId).as(refused.body()).isNotBlank();
    assertThat(refused.json().getString("detail")).isNotBlank();

    JsonObject call = Calls.get(api, token, callId);
    assertThat(call.getString("status")).isEqualTo("failed");
    assertThat(call.getBoolean("is_active")).isFalse();
    assertThat(call.getString("failure_reason")).isNotBlank();
    assertThat(call.getString("ended_at")).isNotNull();
    assertThat(Calls.timeline(api, token, callId)).containsExactly("pending→failed");
    assertThat(api.post("/api/v2/calls/" + callId + "/hangup", token, null).status()).isEqualTo(409);
    return call;
  }

  private static void assertAsteriskDown(ApiClient api) {
    ApiClient.Response health = api.get("/health", null);
    assertThat(health.status()).as(health.body()).isEqualTo(503);
    JsonObject body = health.json();
    assertThat(body.getString("status")).isEqualTo("degraded");
    assertThat(body.getBoolean("simulated")).isFalse();
    assertThat(body.getJsonObject("checks").getJsonObject("asterisk").getString("status")).isEqualTo("down");
    assertThat(body.getJsonObject("checks").getJsonObject("asterisk").getString("detail")).isNotBlank();
    assertThat(body.getJsonObject("checks").getJsonObject("database").getString("status")).isEqualTo("up");
    assertThat(api.get("/health/ready", null).status()).as("the API itself still serves").isEqualTo(200);
  }

  @Test
  @DisplayName("ARI unreachable: health 503 with asterisk down; a call answers 503 with its id and is stored failed")
  void unreachable() throws Exception {
    ApiClient api = startAgainst("http://127.0.0.1:" + FreePorts.next(), "asterisk", "secret", Map.of()).client();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);

    assertAsteriskDown(api);
    JsonObject call = assertCallRefused(api, admin, 503);
    assertThat(call.getString("failure_reason")).containsIgnoringCase("not reachable");

    ApiClient.Response seed = api.post("/api/v2/interaction/+15550000700", admin, null);
    assertThat(seed.status()).as(seed.body()).isEqualTo(503);
    assertThat(seed.json().getString("call_id")).isNotBlank();
    assertThat(Calls.get(api, admin, seed.json().getString("call_id")).getString("status")).isEqualTo("failed");
  }

  @Test
  @DisplayName("ARI refusing our credentials: health 503; a call answers 503 with its id and is stored failed")
  void wrongCredentials() throws Exception {
    String url = ownSandbox("asterisk", "the-real-password");
    ApiClient api = startAgainst(url, "asterisk", "a-wrong-password", Map.of()).client();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);

    assertAsteriskDown(api);
    assertCallRefused(api, admin, 503);
  }

  @Test
  @DisplayName("an endpoint Asterisk refuses (HTTP 500 Allocation failed): 502 with the call id, stored failed")
  void refusedEndpoint() throws Exception {
    String url = ownSandbox("asterisk", "secret");
    ApiClient api = startAgainst(url, "asterisk", "secret", Map.of("ARI_ENDPOINT_TEMPLATE", "SIP/{digits}")).client();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    Calls.eventually(Duration.ofSeconds(10),
        () -> assertThat(api.get("/health", null).status()).as("connected to the ARI events").isEqualTo(200));
    assertThat(api.get("/health", null).json().getBoolean("simulated")).isFalse();

    JsonObject call = assertCallRefused(api, admin, 502);
    assertThat(call.getString("failure_reason")).contains("Allocation failed");
  }

  @Test
  @DisplayName("the server's owner refuses every new call while handing it over, and nobody takes it: 503, stored failed")
  void nobodyTakesTheCall() throws Exception {
    String url = ownSandbox("asterisk", "secret");
    TestApp node = startAgainst(url, "asterisk", "secret", Map.of());
    ApiClient api = node.client();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    Calls.eventually(Duration.ofSeconds(10),
        () -> assertThat(api.get("/health", null).status()).as("connected to the ARI events").isEqualTo(200));
    // The first step of a graceful stop with no other node to take over: the server closes to new calls.
    node.app().servers().leave(0).await();

    JsonObject call = assertCallRefused(api, admin, 503);
    assertThat(call.getString("failure_reason")).contains("not placed");
  }

  @Test
  @DisplayName("another client taking our ARI application: health 503 naming ApplicationReplaced, a metric, no new calls")
  void applicationReplaced() throws Exception {
    String url = ownSandbox("asterisk", "secret");
    ApiClient api = startAgainst(url, "asterisk", "secret", Map.of("ARI_APP", "cc-replaced",
        "METRICS_ENABLED", "true", "METRICS_TOKEN", METRICS_TOKEN)).client();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    Calls.eventually(Duration.ofSeconds(10), () -> assertThat(api.get("/health", null).status()).isEqualTo(200));

    // A second instance (or a configuration named alike) registers the same application.
    String credentials = java.util.Base64.getEncoder().encodeToString("asterisk:secret".getBytes());
    java.net.http.WebSocket thief = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
        .header("Authorization", "Basic " + credentials)
        .buildAsync(java.net.URI.create(url.replace("http:", "ws:") + "/ari/events?app=cc-replaced"),
            new java.net.http.WebSocket.Listener() { })
        .get(5, TimeUnit.SECONDS);
    try {
      Calls.eventually(Duration.ofSeconds(5), () -> {
        ApiClient.Response health = api.get("/health", null);
        assertThat(health.status()).as(health.body()).isEqualTo(503);
        assertThat(health.header("Retry-After")).isNotBlank();
        assertThat(health.json().getJsonObject("checks").getJsonObject("asterisk").getString("detail"))
            .contains("ApplicationReplaced").contains("cc-replaced");
      });
      ApiClient.Response scrape = api.get("/metrics", METRICS_TOKEN);
      assertThat(scrape.body()).contains("contact_center_ari_application_replaced_total 1.0");
      // Its events go elsewhere: a call placed now could not be followed, so it is refused.
      assertCallRefused(api, admin, 503);
    } finally {
      thief.abort();
    }
  }

  private static final String METRICS_TOKEN = "metrics-token-for-tests-0123456789";
}
