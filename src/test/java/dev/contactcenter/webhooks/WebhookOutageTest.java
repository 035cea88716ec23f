package dev.contactcenter.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandardWebhooksVerifier;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Receiver down for 30 s: every delivery arrives after it returns, in order, with its original id")
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class WebhookOutageTest {

  private static final List<String> ANSWERED_FLOW = List.of("dialing", "ringing", "answered", "completed");

  @Test
  @DisplayName("three calls' statuses are retried through a 30 s outage and then delivered once each, in order")
  void outage() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("SANDBOX_TIME_SCALE", "0.05");
    env.put("WEBHOOK_ALLOW_HTTP", "true");
    env.put("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1");
    // Backoff shortened so the test takes the outage's time, not a production retry schedule.
    env.put("WEBHOOK_RETRY_BASE_MS", "200");
    env.put("WEBHOOK_RETRY_MAX_MS", "2000");
    env.put("WEBHOOK_POLL_MS", "200");
    try (WebhookReceiver receiver = WebhookReceiver.start(); TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
      String user = Calls.newUser(api, admin, "outage");
      JsonObject endpoint = api.post("/api/v2/webhooks", user, new JsonObject().put("url", receiver.url("/down"))
          .put("events", new JsonArray(ANSWERED_FLOW))).json();
      int port = receiver.port();
      receiver.stop();

      long downAt = System.nanoTime();
      List<String> callIds = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        callIds.add(Calls.place(api, user, new JsonObject().put("phone_number", "+155512345" + (60 + i * 10))));
      }
      for (String callId : callIds) {
        Calls.awaitStatus(api, user, callId, "completed", Duration.ofSeconds(20));
      }
      Thread.sleep(Math.max(0, 30_000 - (System.nanoTime() - downAt) / 1_000_000));

      JsonArray during = api.get("/api/v2/webhooks/" + endpoint.getString("id") + "/deliveries?limit=500", user).json()
          .getJsonArray("items");
      assertThat(during).hasSize(12);
      for (Object d : during) {
        JsonObject delivery = (JsonObject) d;
        assertThat(delivery.getString("state")).isEqualTo("pending");
      }
      // The first delivery of each call was retried through the outage; later ones wait behind it (order).
      assertThat(during.stream().mapToInt(d -> ((JsonObject) d).getInteger("attempts")).max().orElse(0))
          .isGreaterThan(5);
      assertThat(during.stream().map(d -> ((JsonObject) d).getJsonArray("attempt_log"))
          .filter(log -> !log.isEmpty()).map(log -> log.getJsonObject(0).getString("error")))
          .allMatch(error -> error != null && !error.isEmpty());

      receiver.listen(port);
      Calls.eventually(Duration.ofSeconds(30), () -> assertThat(receiver.received("/down")).hasSize(12));
      for (String callId : callIds) {
        List<WebhookReceiver.Received> ofCall = receiver.received("/down").stream()
            .filter(r -> r.json().getJsonObject("data").getString("call_id").equals(callId)).toList();
        assertThat(ofCall).extracting(WebhookReceiver.Received::status).containsExactlyElementsOf(ANSWERED_FLOW);
        JsonArray log = api.get("/api/v2/calls/" + callId + "/webhooks", user).json().getJsonArray("items");
        assertThat(ofCall).extracting(WebhookReceiver.Received::id)
            .containsExactlyElementsOf(log.stream().map(d -> ((JsonObject) d).getString("webhook_id")).toList());
        for (WebhookReceiver.Received r : ofCall) {
          assertThat(new StandardWebhooksVerifier(endpoint.getString("secret"))
              .verifies(r.id(), r.timestamp(), r.signature(), r.body())).isTrue();
        }
      }
      Calls.eventually(Duration.ofSeconds(10), () -> assertThat(
          api.get("/api/v2/webhooks/" + endpoint.getString("id") + "/deliveries?limit=500", user).json()
              .getJsonArray("items").stream().map(d -> ((JsonObject) d).getString("state"))).containsOnly("delivered"));
    }
  }
}
