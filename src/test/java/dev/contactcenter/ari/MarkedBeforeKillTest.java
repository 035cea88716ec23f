package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandaloneAri;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Calls the dispatcher of a previous owner marked sent just before that owner went away (a kill -9, say): the new
 * owner leaves them alone while their originate may still be on its way, then settles the ones Asterisk never got
 * and follows the ones it did — within seconds of that window, not at the periodic pass a minute later. The
 * "Asterisk" is an ARI sandbox in the test's own Vert.x, so it outlives the service.
 */
@DisplayName("Calls marked sent just before the owner went are settled or followed soon after the restart")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MarkedBeforeKillTest {

  private static final String APP = "cc-marked";
  /** The mark's window (10 s) plus slack for a loaded machine; the periodic pass would come after 60 s. */
  private static final Duration SETTLED_WITHIN = Duration.ofSeconds(25);

  private StandaloneAri ari;
  private TestApp app;

  @BeforeEach
  void startAsterisk() {
    ari = StandaloneAri.start("marked-secret");
  }

  @AfterEach
  void stopAll() throws Exception {
    if (app != null) {
      app.close();
    }
    if (ari != null) {
      ari.close();
    }
  }

  @Test
  @DisplayName("undialled: failed ~10 s after the mark; dialled and still ringing: followed to its real end")
  void markedByThePreviousOwner() throws Exception {
    Map<String, String> env = ari.serviceEnv();
    env.put("ARI_APP", APP);
    app = TestApp.start(env);
    String undialled = createPending("+15550000901");
    String dialled = createPending("+15550000902");
    // The previous owner's originate of one of them reached Asterisk (never answered, rings 20 s).
    originateAtAsterisk(dialled, "Local/15550000902@callee/n", 20);
    String db = app.databaseUrl();
    app.close();
    app = null;

    // Marked sent under the epoch of the owner that just went (still the current one: nobody took over yet).
    Instant marked = Instant.now();
    TestDatabase.execute(db, "UPDATE calls SET claimed_at = now(), dial_sent_at = now(), owner_epoch ="
        + " (SELECT epoch FROM asterisk_server_owners WHERE server = calls.server) WHERE id IN ('" + undialled
        + "', '" + dialled + "')");
    app = TestApp.start(env);
    ApiClient api = app.client();
    String token = api.login("admin", TestApp.ADMIN_PASSWORD);

    JsonObject failed = Calls.awaitFinal(api, token, undialled, SETTLED_WITHIN);
    Duration afterMark = Duration.between(marked, Instant.now());
    assertThat(failed.getString("status")).isEqualTo("failed");
    assertThat(failed.getString("failure_reason")).contains("before the call was placed");
    assertThat(Calls.timeline(api, token, undialled)).containsExactly("pending→failed");
    // Not before the window: its originate might still have been on its way.
    assertThat(afterMark).as("settled after the mark").isGreaterThanOrEqualTo(Duration.ofSeconds(10));

    // The one Asterisk has is followed, never failed: ringing now, no_answer at its real end.
    Calls.eventually(Duration.ofSeconds(10), () ->
        assertThat(Calls.get(api, token, dialled).getString("status")).isEqualTo("ringing"));
    JsonObject noAnswer = Calls.awaitFinal(api, token, dialled, Duration.ofSeconds(30));
    assertThat(noAnswer.getString("status")).as(noAnswer.encode()).isEqualTo("no_answer");
    assertThat(Calls.timeline(api, token, dialled))
        .containsExactly("pending→dialing", "dialing→ringing", "ringing→no_answer");
    System.out.printf("MarkedBeforeKillTest: undialled call settled %d ms after its mark%n", afterMark.toMillis());
  }

  /** A pending call as the API stores it, not originated by this service. */
  private String createPending(String phone) {
    String callId = UUID.randomUUID().toString();
    app.app().vertx().eventBus().request(EventBusAddresses.CALLS_CREATE, new JsonObject()
        .put("call_id", callId).put("owner", "admin").put("phone_number", phone)
        .put("context", "outbound-ivr").put("extension", "s").put("priority", 1).put("timeout", 30_000)
        .put("variables", new JsonObject()).put("request_hash", "marked-" + callId)).await();
    return callId;
  }

  private void originateAtAsterisk(String channelId, String endpoint, int timeoutSeconds) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
            ari.url() + "/ari/channels?app=" + APP + "&channelId=" + channelId + "&timeout="
                + timeoutSeconds + "&endpoint=" + endpoint.replace("/", "%2F").replace("@", "%40")))
        .header("Authorization", ari.basicAuth()).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }
}
