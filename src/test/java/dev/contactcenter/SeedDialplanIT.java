package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The seed's Asterisk configuration as written ({@code [seed-ivr]} in conf/asterisk/test: Answer, Stasis(contactcenter),
 * then the prompt) against a real Asterisk 22 and a service whose ARI app is {@code contactcenter}.
 */
@DisplayName("The seed's IVR, which enters our Stasis app itself, against a real Asterisk")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SeedDialplanIT {

  private final HttpClient http = HttpClient.newHttpClient();
  private TestAsterisk asterisk;
  private TestApp app;
  private Map<String, String> env;

  @BeforeAll
  void start() throws Exception {
    asterisk = TestAsterisk.startOrSkip();
    env = asterisk.serviceEnv("contactcenter");
    app = TestApp.start(env);
    Calls.eventually(Duration.ofSeconds(15),
        () -> assertThat(app.client().get("/health", null).status()).isEqualTo(200));
  }

  @AfterAll
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (asterisk != null) {
      asterisk.close();
    }
  }

  @Test
  @DisplayName("our call, back in the app through the IVR's Stasis(), is handed back at once and still followed")
  void ourCallReentersTheApp() {
    ApiClient api = app.client();
    String token = api.login("admin", TestApp.ADMIN_PASSWORD);
    // The callee (digit 0) would stay 30 s: only the IVR's own Hangup() after the prompt ends the call early.
    String callId = Calls.place(api, token, new JsonObject().put("phone_number", "+15550000000")
        .put("context", "seed-ivr").put("extension", "s").put("priority", 1));
    Calls.awaitStatus(api, token, callId, "answered", Duration.ofSeconds(15));
    Calls.eventually(Duration.ofSeconds(5),
        () -> assertThat(channelVariable(callId, "SEED_STEP")).as("the step after Stasis() ran").isEqualTo("after-stasis"));

    JsonObject ended = Calls.awaitFinal(api, token, callId, Duration.ofSeconds(15));
    assertThat(ended.getString("status")).isEqualTo("completed");
    assertThat(ended.getInteger("hangup_cause")).isEqualTo(16);
    assertThat(ended.getBoolean("end_time_approximate")).isFalse();
    assertThat(ended.getInteger("duration")).as("the prompt's 3 s, not the callee's 30 s").isBetween(3, 6);
    assertThat(Calls.timeline(api, token, callId))
        .containsExactly("pending→dialing", "dialing→ringing", "ringing→answered", "answered→completed");
  }

  @Test
  @DisplayName("a channel we did not place that enters the app from the dialplan goes on with it, not hung up")
  void strangerFromTheDialplan() throws Exception {
    String channelId = UUID.randomUUID().toString();
    HttpResponse<String> originated = ari("POST", "/channels?endpoint=Local/15550000000@callee/n&context=seed-ivr"
        + "&extension=s&priority=1&channelId=" + channelId);
    assertThat(originated.statusCode()).as(originated.body()).isEqualTo(200);
    Calls.eventually(Duration.ofSeconds(10),
        () -> assertThat(channelVariable(channelId, "SEED_STEP")).isEqualTo("after-stasis"));
    ApiClient api = app.client();
    String token = api.login("admin", TestApp.ADMIN_PASSWORD);
    assertThat(api.get("/api/v2/calls/" + channelId, token).status()).as("no call of ours").isEqualTo(404);
  }

  private String channelVariable(String channelId, String name) {
    try {
      HttpResponse<String> response = ari("GET", "/channels/" + channelId + "/variable?variable=" + name);
      return response.statusCode() == 200 ? new JsonObject(response.body()).getString("value") : "HTTP "
          + response.statusCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private HttpResponse<String> ari(String method, String pathAndQuery) throws Exception {
    String auth = Base64.getEncoder().encodeToString((env.get("ARI_USERNAME") + ":" + env.get("ARI_PASSWORD"))
        .getBytes(StandardCharsets.UTF_8));
    String base = env.get("ARI_HTTP_URL").replaceAll("/+$", "").replaceAll("/ari$", "");
    return http.send(HttpRequest.newBuilder(URI.create(base + "/ari" + pathAndQuery))
        .header("Authorization", "Basic " + auth).method(method, HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
