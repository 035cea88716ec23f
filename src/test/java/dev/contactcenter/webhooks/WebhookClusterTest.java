package dev.contactcenter.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Two service nodes on one database share the outbox: every webhook sent once, in order per call")
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class WebhookClusterTest {

  private static final List<String> FLOW = List.of("dialing", "ringing", "answered", "completed");

  @Test
  @DisplayName("20 calls' 80 deliveries claimed by two relays: no webhook-id twice, each call's statuses in order")
  void twoNodesNoDoubleSend() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("SANDBOX_TIME_SCALE", "0.05");
    env.put("WEBHOOK_ALLOW_HTTP", "true");
    env.put("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1");
    env.put("WEBHOOK_POLL_MS", "100");
    // Few slots per node, a slow receiver: both relays claim side by side.
    env.put("WEBHOOK_CONCURRENCY", "2");
    Map<String, String> second = new java.util.HashMap<>(env);
    second.put("DATA_DIR", dev.contactcenter.support.TempDirs.create("cc-test-data").toString());
    try (WebhookReceiver receiver = WebhookReceiver.start(); TestApp a = TestApp.start(env);
        TestApp b = TestApp.start(second)) {
      receiver.delay(30);
      ApiClient api = a.client();
      String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
      String user = Calls.newUser(api, admin, "cluster");
      assertThat(api.post("/api/v2/webhooks", user, new JsonObject().put("url", receiver.url("/cluster"))
          .put("events", new JsonArray(FLOW))).status()).isEqualTo(201);
      List<String> callIds = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        callIds.add(Calls.place(api, user, new JsonObject().put("phone_number", "+1555123456" + (i % 2 == 0 ? 0 : 7))));
      }
      Calls.eventually(Duration.ofSeconds(90), () -> assertThat(receiver.received("/cluster")).hasSize(80));
      Thread.sleep(1000);
      List<WebhookReceiver.Received> all = receiver.received("/cluster");
      assertThat(all).hasSize(80);
      assertThat(all.stream().map(WebhookReceiver.Received::id).distinct()).hasSize(80);
      Map<String, List<String>> byCall = all.stream().collect(Collectors.groupingBy(
          r -> r.json().getJsonObject("data").getString("call_id"),
          Collectors.mapping(WebhookReceiver.Received::status, Collectors.toList())));
      assertThat(byCall.keySet()).containsExactlyInAnyOrderElementsOf(callIds);
      byCall.forEach((call, statuses) -> assertThat(statuses).as(call).containsExactlyElementsOf(FLOW));
    }
  }
}
