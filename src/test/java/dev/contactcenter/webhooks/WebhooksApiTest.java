package dev.contactcenter.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandardWebhooksVerifier;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import dev.contactcenter.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

@DisplayName("Status webhooks through the API, delivered to a real receiver that verifies every signature")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebhooksApiTest {

  private static final String ANSWERED_NUMBER = "+15551234560";
  private static final String BUSY_NUMBER = "+15551234561";
  private static final List<String> ALL = List.of("dialing", "ringing", "answered", "completed", "failed", "busy",
      "no_answer", "canceled");

  private TestApp app;
  private ApiClient api;
  private String admin;
  private WebhookReceiver receiver;

  @BeforeAll
  void start() throws Exception {
    receiver = WebhookReceiver.start();
    Map<String, String> env = TestApp.defaultEnv();
    env.put("SANDBOX_TIME_SCALE", "0.05");
    env.put("WEBHOOK_ALLOW_HTTP", "true");
    env.put("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1");
    env.put("WEBHOOK_RETRY_BASE_MS", "100");
    env.put("WEBHOOK_RETRY_MAX_MS", "500");
    env.put("WEBHOOK_RESPONSE_TIMEOUT_MS", "2000");
    env.put("WEBHOOK_POLL_MS", "200");
    env.put("METRICS_ENABLED", "true");
    app = TestApp.start(env);
    api = app.client();
    admin = api.login("admin", TestApp.ADMIN_PASSWORD);
  }

  @AfterAll
  void stop() throws Exception {
    receiver.close();
    app.close();
  }

  private JsonObject subscribe(String token, String path, List<String> events) {
    ApiClient.Response created = api.post("/api/v2/webhooks", token, new JsonObject()
        .put("url", receiver.url(path)).put("events", new JsonArray(events)).put("description", "test " + path));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.header("Location")).isEqualTo("/api/v2/webhooks/" + created.json().getString("id"));
    return created.json();
  }

  private static void assertAllSigned(List<WebhookReceiver.Received> received, String... secrets) {
    for (WebhookReceiver.Received r : received) {
      boolean verified = false;
      for (String secret : secrets) {
        verified |= new StandardWebhooksVerifier(secret).verifies(r.id(), r.timestamp(), r.signature(), r.body());
      }
      assertThat(verified).as("signature of %s %s", r.id(), r.body()).isTrue();
    }
  }

  @Test
  @DisplayName("a call's statuses reach the subscription once each, in order, signed; its status_callback gets the final one")
  void flowDeliversEachStatusOnceInOrder() {
    String user = Calls.newUser(api, admin, "hooks");
    JsonObject endpoint = subscribe(user, "/flow", ALL);
    assertThat(endpoint.getString("secret")).startsWith("whsec_");
    assertThat(api.get("/api/v2/webhooks/" + endpoint.getString("id"), user).json().containsKey("secret"))
        .as("the secret is shown once").isFalse();

    String callId = Calls.place(api, user, new JsonObject().put("phone_number", ANSWERED_NUMBER)
        .put("status_callback", receiver.url("/flow-callback")));
    Calls.awaitStatus(api, user, callId, "completed", Duration.ofSeconds(20));

    Calls.eventually(Duration.ofSeconds(20), () -> assertThat(receiver.received("/flow").stream()
        .filter(r -> r.json().getJsonObject("data").getString("call_id").equals(callId)).map(WebhookReceiver.Received::status))
        .containsExactly("dialing", "ringing", "answered", "completed"));
    Calls.eventually(Duration.ofSeconds(20), () -> assertThat(receiver.received("/flow-callback"))
        .extracting(WebhookReceiver.Received::status).containsExactly("completed"));

    assertAllSigned(receiver.received("/flow"), endpoint.getString("secret"));
    String callSecret = api.get("/api/v2/webhook-secret", user).json().getString("secret");
    assertAllSigned(receiver.received("/flow-callback"), callSecret);
    assertThat(receiver.received("/flow").stream().map(WebhookReceiver.Received::id).distinct()).hasSize(4);
    JsonObject first = receiver.received("/flow").get(0).json();
    assertThat(first.getString("type")).isEqualTo("call.status_changed");
    assertThat(first.getJsonObject("data").getString("phone_number")).isEqualTo(ANSWERED_NUMBER);

    Calls.eventually(Duration.ofSeconds(10), () -> {
      JsonArray log = api.get("/api/v2/calls/" + callId + "/webhooks", user).json().getJsonArray("items");
      assertThat(log).hasSize(5);
      assertThat(log.stream().map(d -> ((JsonObject) d).getString("state"))).containsOnly("delivered");
    });
    JsonArray deliveries = api.get("/api/v2/webhooks/" + endpoint.getString("id") + "/deliveries", user).json()
        .getJsonArray("items");
    JsonObject delivered = deliveries.getJsonObject(0);
    assertThat(delivered.getJsonArray("attempt_log")).hasSize(1);
    assertThat(delivered.getJsonArray("attempt_log").getJsonObject(0).getInteger("status_code")).isEqualTo(204);

    String metrics = api.get("/metrics", null).body();
    java.util.regex.Matcher count = java.util.regex.Pattern
        .compile("contact_center_webhook_deliveries_total\\{outcome=\"delivered\"[^}]*} ([0-9.]+)").matcher(metrics);
    assertThat(count.find()).as(metrics).isTrue();
    assertThat(Double.parseDouble(count.group(1))).isGreaterThanOrEqualTo(5);
    assertThat(metrics).contains("contact_center_webhook_deliveries_total{outcome=\"dead\"")
        .contains("contact_center_webhook_oldest_pending_seconds");
  }

  @Test
  @DisplayName("rotating a secret: deliveries carry both signatures during the overlap")
  void rotation() {
    String user = Calls.newUser(api, admin, "rotate");
    JsonObject endpoint = subscribe(user, "/rotate", List.of("busy"));
    ApiClient.Response rotated = api.post("/api/v2/webhooks/" + endpoint.getString("id") + "/rotate-secret", user, null);
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    String newSecret = rotated.json().getString("secret");
    assertThat(newSecret).startsWith("whsec_").isNotEqualTo(endpoint.getString("secret"));
    assertThat(rotated.json().getString("previous_secret_expires_at")).isNotNull();

    String callId = Calls.place(api, user, new JsonObject().put("phone_number", BUSY_NUMBER));
    Calls.eventually(Duration.ofSeconds(20), () -> assertThat(receiver.received("/rotate")).hasSize(1));
    WebhookReceiver.Received r = receiver.received("/rotate").get(0);
    assertThat(r.json().getJsonObject("data").getString("call_id")).isEqualTo(callId);
    assertThat(r.signature().split(" ")).hasSize(2);
    assertAllSigned(List.of(r), endpoint.getString("secret"));
    assertAllSigned(List.of(r), newSecret);

    ApiClient.Response callRotated = api.post("/api/v2/webhook-secret/rotate", user, null);
    assertThat(callRotated.status()).isEqualTo(200);
    assertThat(callRotated.json().getString("secret")).startsWith("whsec_");
  }

  @Test
  @DisplayName("a receiver answering 410 Gone disables the subscription; nothing more is sent to it")
  void goneDisables() {
    String user = Calls.newUser(api, admin, "gone");
    receiver.answer(r -> r.path().equals("/gone") ? 410 : 204);
    JsonObject endpoint = subscribe(user, "/gone", ALL);
    String callId = Calls.place(api, user, new JsonObject().put("phone_number", ANSWERED_NUMBER));
    Calls.awaitStatus(api, user, callId, "completed", Duration.ofSeconds(20));
    Calls.eventually(Duration.ofSeconds(20), () -> {
      JsonObject now = api.get("/api/v2/webhooks/" + endpoint.getString("id"), user).json();
      assertThat(now.getBoolean("enabled")).isFalse();
      assertThat(now.getString("disabled_reason")).contains("410");
    });
    Calls.eventually(Duration.ofSeconds(10), () -> {
      JsonArray log = api.get("/api/v2/calls/" + callId + "/webhooks", user).json().getJsonArray("items");
      assertThat(log.stream().map(d -> ((JsonObject) d).getString("state"))).doesNotContain("pending");
    });
    assertThat(receiver.received("/gone")).hasSize(1);

    String second = Calls.place(api, user, new JsonObject().put("phone_number", BUSY_NUMBER));
    Calls.awaitStatus(api, user, second, "busy", Duration.ofSeconds(20));
    assertThat(api.get("/api/v2/calls/" + second + "/webhooks", user).json().getJsonArray("items")).isEmpty();
    assertThat(receiver.received("/gone")).hasSize(1);
    // Turned on again (PATCH) with another URL: new statuses are sent there.
    ApiClient.Response patched = api.send(api.authorized("/api/v2/webhooks/" + endpoint.getString("id"), user)
        .header("Content-Type", "application/json")
        .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(new JsonObject().put("enabled", true)
            .put("url", receiver.url("/back")).put("events", new JsonArray().add("busy")).encode())));
    assertThat(patched.status()).as(patched.body()).isEqualTo(200);
    assertThat(patched.json().getBoolean("enabled")).isTrue();
    assertThat(patched.json().getString("disabled_reason")).isNull();
    assertThat(patched.json().getJsonArray("events")).containsExactly("busy");
    Calls.place(api, user, new JsonObject().put("phone_number", BUSY_NUMBER));
    Calls.eventually(Duration.ofSeconds(20), () -> assertThat(receiver.received("/back")).hasSize(1));
    ApiClient.Response refused = api.send(api.authorized("/api/v2/webhooks/" + endpoint.getString("id"), user)
        .header("Content-Type", "application/json")
        .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{\"url\":\"http://10.0.0.1/\"}")));
    assertThat(refused.status()).isEqualTo(400);
    String other = Calls.newUser(api, admin, "gone-other");
    assertThat(api.send(api.authorized("/api/v2/webhooks/" + endpoint.getString("id"), other)
        .header("Content-Type", "application/json")
        .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{\"enabled\":false}"))).status())
        .isEqualTo(404);
  }

  @Test
  @DisplayName("a delivery written while its subscription was being turned off by a 410 is canceled, never sent")
  void deliveryRacingA410IsCanceled() {
    String user = Calls.newUser(api, admin, "racing");
    JsonObject endpoint = subscribe(user, "/racing", List.of("failed"));
    String callId = Calls.place(api, user, new JsonObject().put("phone_number", BUSY_NUMBER));
    Calls.awaitStatus(api, user, callId, "busy", Duration.ofSeconds(20));
    ApiClient.Response off = api.send(api.authorized("/api/v2/webhooks/" + endpoint.getString("id"), user)
        .header("Content-Type", "application/json")
        .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{\"enabled\":false}")));
    assertThat(off.status()).as(off.body()).isEqualTo(200);
    // What the trigger writes when it read the subscription as enabled just before the 410's transaction committed,
    // and the same for a call's own callback that already answered 410.
    String insert = "INSERT INTO webhook_deliveries (webhook_id, endpoint_id, stream, owner, call_id, event_id, url,"
        + " payload, last_status_code, state) VALUES ";
    TestDatabase.execute(app.databaseUrl(), insert
        + "('msg_race_endpoint', '" + endpoint.getString("id") + "', '" + endpoint.getString("id") + "', '" + user
        + "', '" + callId + "', 1, '" + receiver.url("/racing") + "', '{}', NULL, 'pending'),"
        + " ('msg_race_gone', NULL, 'callback', '" + user + "', '" + callId + "', 2, '" + receiver.url("/racing")
        + "', '{}', 410, 'dead'),"
        + " ('msg_race_callback', NULL, 'callback', '" + user + "', '" + callId + "', 3, '" + receiver.url("/racing")
        + "', '{}', NULL, 'pending')");

    Calls.eventually(Duration.ofSeconds(10), () -> assertThat(TestDatabase.queryLong(app.databaseUrl(),
        "SELECT count(*) FROM webhook_deliveries WHERE webhook_id IN ('msg_race_endpoint', 'msg_race_callback')"
            + " AND state = 'canceled'")).isEqualTo(2));
    assertThat(receiver.received("/racing")).isEmpty();
  }

  @Test
  @DisplayName("an answer slower than the response timeout is a failed attempt, retried with the same id, then delivered")
  void slowReceiverTimesOut() {
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    receiver.answer(r -> {
      if (r.path().equals("/slow") && calls.getAndIncrement() == 0) {
        try {
          Thread.sleep(4_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return 204;
    });
    String user = Calls.newUser(api, admin, "slow");
    JsonObject endpoint = subscribe(user, "/slow", List.of("busy"));
    Calls.place(api, user, new JsonObject().put("phone_number", BUSY_NUMBER));
    Calls.eventually(Duration.ofSeconds(30), () -> {
      // Checked as an assertion: eventually() retries failed assertions only, and the delivery may not exist yet.
      JsonArray items = api.get("/api/v2/webhooks/" + endpoint.getString("id") + "/deliveries", user).json()
          .getJsonArray("items");
      assertThat(items).isNotEmpty();
      assertThat(items.getJsonObject(0).getString("state")).isEqualTo("delivered");
    });
    JsonObject delivery = api.get("/api/v2/webhooks/" + endpoint.getString("id") + "/deliveries", user).json()
        .getJsonArray("items").getJsonObject(0);
    JsonArray attempts = delivery.getJsonArray("attempt_log");
    assertThat(attempts.size()).isGreaterThanOrEqualTo(2);
    assertThat(attempts.getJsonObject(0).getInteger("status_code")).isNull();
    assertThat(attempts.getJsonObject(0).getString("error")).containsIgnoringCase("timeout");
    assertThat(attempts.getJsonObject(0).getInteger("latency_ms")).isBetween(1_900, 3_900);
    assertThat(receiver.received("/slow").stream().map(WebhookReceiver.Received::id).distinct()).hasSize(1);
  }

  @Test
  @DisplayName("a redirect is not followed (not even to loopback), and counts as a failed attempt")
  void redirectNotFollowed() throws Exception {
    try (WebhookReceiver target = WebhookReceiver.start()) {
      receiver.redirectTo(target.url("/internal"));
      receiver.answer(r -> r.path().equals("/redirect") ? 302 : 204);
      String user = Calls.newUser(api, admin, "redirect");
      JsonObject endpoint = subscribe(user, "/redirect", List.of("busy"));
      Calls.place(api, user, new JsonObject().put("phone_number", BUSY_NUMBER));
      Calls.eventually(Duration.ofSeconds(20), () -> assertThat(receiver.received("/redirect")).hasSizeGreaterThan(1));
      JsonObject delivery = api.get("/api/v2/webhooks/" + endpoint.getString("id") + "/deliveries", user).json()
          .getJsonArray("items").getJsonObject(0);
      assertThat(delivery.getInteger("last_status_code")).isEqualTo(302);
      assertThat(delivery.getString("state")).isEqualTo("pending");
      assertThat(receiver.received("/redirect").stream().map(WebhookReceiver.Received::id).distinct())
          .as("every retry has the same webhook-id").hasSize(1);
      assertThat(target.received()).isEmpty();
      assertThat(api.delete("/api/v2/webhooks/" + endpoint.getString("id"), user).status()).isEqualTo(204);
    }
  }

  @Test
  @DisplayName("internal targets are refused with a 400 at subscription and call creation, and nothing is stored")
  void ssrfRefused() {
    String user = Calls.newUser(api, admin, "ssrf");
    for (String url : List.of("http://localhost:" + receiver.port() + "/x", "http://10.0.0.1/", "http://172.16.5.4/",
        "http://192.168.0.10/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[fd00::1]/",
        "http://[fe80::1]/", "http://224.0.0.1/", "http://[ff02::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
        "ftp://example.com/", "http://user:pw@127.0.0.1/")) {
      ApiClient.Response refused = api.post("/api/v2/webhooks", user, new JsonObject().put("url", url));
      assertThat(refused.status()).as(url + " " + refused.body()).isEqualTo(400);
      ApiClient.Response call = api.post("/api/v2/calls", user, new JsonObject().put("phone_number", BUSY_NUMBER)
          .put("status_callback", url));
      assertThat(call.status()).as(url + " " + call.body()).isEqualTo(400);
    }
    assertThat(api.get("/api/v2/webhooks", user).json().getJsonArray("items")).isEmpty();
    assertThat(api.get("/api/v2/calls", user).json().getJsonArray("items")).isEmpty();
    ApiClient.Response badEvent = api.post("/api/v2/webhooks", user, new JsonObject().put("url", receiver.url("/e"))
        .put("events", new JsonArray().add("pending")));
    assertThat(badEvent.status()).isEqualTo(400);
  }

  @Test
  @DisplayName("a call's status_callback and its events read back by id, by the legacy status path and in the list")
  void callbackReadBack() {
    String user = Calls.newUser(api, admin, "readback");
    String url = receiver.url("/readback");
    String withEvents = Calls.place(api, user, new JsonObject().put("phone_number", BUSY_NUMBER)
        .put("status_callback", url).put("status_callback_events", new JsonArray().add("ringing").add("busy")));
    String withDefaults = Calls.place(api, user, new JsonObject().put("phone_number", BUSY_NUMBER)
        .put("status_callback", url));
    String without = Calls.place(api, user, new JsonObject().put("phone_number", BUSY_NUMBER));

    for (String path : List.of("/api/v2/calls/", "/api/v2/status/")) {
      JsonObject call = api.get(path + withEvents, user).json();
      assertThat(call.getString("status_callback")).as(path).isEqualTo(url);
      assertThat(call.getJsonArray("status_callback_events")).as(path).containsExactly("ringing", "busy");
      JsonObject plain = api.get(path + without, user).json();
      assertThat(plain.containsKey("status_callback")).as(path).isTrue();
      assertThat(plain.getValue("status_callback")).as(path).isNull();
      assertThat(plain.containsKey("status_callback_events")).as(path).isTrue();
      assertThat(plain.getValue("status_callback_events")).as(path).isNull();
    }
    Map<String, JsonObject> listed = new java.util.HashMap<>();
    api.get("/api/v2/calls", user).json().getJsonArray("items")
        .forEach(item -> listed.put(((JsonObject) item).getString("call_id"), (JsonObject) item));
    assertThat(listed).containsOnlyKeys(withEvents, withDefaults, without);
    assertThat(listed.get(withEvents).getJsonArray("status_callback_events")).containsExactly("ringing", "busy");
    assertThat(listed.get(withDefaults).getString("status_callback")).isEqualTo(url);
    assertThat(listed.get(withDefaults).getJsonArray("status_callback_events"))
        .containsExactlyElementsOf(Subscriptions.FINAL_STATUSES);
    assertThat(listed.get(without).getValue("status_callback")).isNull();
  }

  @Test
  @DisplayName("an Idempotency-Key reused with another status_callback is a different request (422), the same one is not")
  void idempotencyCoversCallback() {
    String user = Calls.newUser(api, admin, "idem");
    JsonObject body = new JsonObject().put("phone_number", BUSY_NUMBER).put("status_callback", receiver.url("/idem-a"));
    Map<String, String> key = Map.of("Idempotency-Key", "idem-" + System.nanoTime());
    ApiClient.Response first = api.post("/api/v2/calls", user, body, key);
    assertThat(first.status()).as(first.body()).isEqualTo(201);
    ApiClient.Response same = api.post("/api/v2/calls", user, body, key);
    assertThat(same.json().getString("call_id")).isEqualTo(first.json().getString("call_id"));
    ApiClient.Response other = api.post("/api/v2/calls", user, body.copy().put("status_callback", receiver.url("/idem-b")),
        key);
    assertThat(other.status()).as(other.body()).isEqualTo(422);
  }

  @Test
  @DisplayName("another user's subscriptions, delivery logs and call deliveries are 404; admins see them")
  void isolation() {
    String alice = Calls.newUser(api, admin, "alice");
    String bob = Calls.newUser(api, admin, "bob");
    JsonObject endpoint = subscribe(alice, "/alice", List.of("busy"));
    String id = endpoint.getString("id");
    String callId = Calls.place(api, alice, new JsonObject().put("phone_number", BUSY_NUMBER));
    Calls.eventually(Duration.ofSeconds(20), () -> assertThat(
        api.get("/api/v2/webhooks/" + id + "/deliveries", alice).json().getJsonArray("items")).hasSize(1));
    long deliveryId = api.get("/api/v2/webhooks/" + id + "/deliveries", alice).json().getJsonArray("items")
        .getJsonObject(0).getLong("id");

    assertThat(api.get("/api/v2/webhooks/" + id, bob).status()).isEqualTo(404);
    assertThat(api.get("/api/v2/webhooks/" + id + "/deliveries", bob).status()).isEqualTo(404);
    assertThat(api.post("/api/v2/webhooks/" + id + "/deliveries/" + deliveryId + "/retry", bob, null).status())
        .isEqualTo(404);
    assertThat(api.post("/api/v2/webhooks/" + id + "/rotate-secret", bob, null).status()).isEqualTo(404);
    assertThat(api.get("/api/v2/calls/" + callId + "/webhooks", bob).status()).isEqualTo(404);
    assertThat(api.delete("/api/v2/webhooks/" + id, bob).status()).isEqualTo(404);
    assertThat(api.get("/api/v2/webhooks", bob).json().getJsonArray("items")).isEmpty();

    assertThat(api.get("/api/v2/webhooks/" + id, admin).status()).isEqualTo(200);
    assertThat(api.get("/api/v2/calls/" + callId + "/webhooks", admin).status()).isEqualTo(200);

    Calls.eventually(Duration.ofSeconds(20), () -> assertThat(api.get("/api/v2/webhooks/" + id + "/deliveries", alice)
        .json().getJsonArray("items").getJsonObject(0).getString("state")).isEqualTo("delivered"));
    ApiClient.Response retried = api.post("/api/v2/webhooks/" + id + "/deliveries/" + deliveryId + "/retry", alice, null);
    assertThat(retried.status()).as(retried.body()).isEqualTo(202);
    Calls.eventually(Duration.ofSeconds(20), () -> assertThat(receiver.received("/alice")).hasSize(2));
    assertThat(receiver.received("/alice").get(1).id()).isEqualTo(receiver.received("/alice").get(0).id());
    assertThat(api.get("/api/v2/webhooks/" + id, alice).status()).isEqualTo(200);
    assertThat(api.delete("/api/v2/webhooks/" + id, alice).status()).isEqualTo(204);
    assertThat(api.get("/api/v2/webhooks/" + id, alice).status()).isEqualTo(404);
  }
}
