package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.auth.TokenService;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.BlockedThreadRecorder;
import dev.contactcenter.support.BridgeSocket;
import dev.contactcenter.support.CallProbe;
import dev.contactcenter.support.TestApp;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The SockJS event-bus bridge, spoken to without a browser: JSON frames over {@code /eventbus/websocket} against the
 * real service (sandbox calls). Who may listen to what, that nothing goes in, how sockets are authenticated and when
 * they are closed, and that malformed input is refused without harm.
 */
@DisplayName("The event-bus bridge")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventBusBridgeTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  /** Long enough for a sandbox call to be published if it were going to be. */
  private static final Duration QUIET = Duration.ofMillis(700);
  private static final String PASSWORD = "a-long-test-password";

  private TestApp app;
  private Vertx clients;
  private ApiClient api;
  private String adminToken;
  private String aliceToken;
  private String bobToken;
  private int blockedMark;

  @BeforeAll
  void start() throws Exception {
    app = TestApp.start();
    blockedMark = BlockedThreadRecorder.count();
    clients = Vertx.vertx();
    api = app.client();
    adminToken = api.login("admin", TestApp.ADMIN_PASSWORD);
    for (String user : List.of("alice", "bob", "carol")) {
      ApiClient.Response created = api.post("/api/v2/users", adminToken,
          new JsonObject().put("username", user).put("password", PASSWORD).put("role", "user"));
      assertThat(created.status()).isEqualTo(201);
    }
    aliceToken = api.login("alice", PASSWORD);
    bobToken = api.login("bob", PASSWORD);
  }

  @AfterAll
  void stop() throws Exception {
    try {
      BlockedThreadRecorder.assertNoneSince(blockedMark);
    } finally {
      if (clients != null) {
        clients.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      if (app != null) {
        app.close();
      }
    }
  }

  @Test
  @DisplayName("a user's own address carries each transition of their call: dialing, ringing, answered, completed")
  void ownAddressReceivesOwnTransitions() throws Exception {
    try (BridgeSocket alice = socket(aliceToken)) {
      alice.listen("calls.status.owner.alice");
      String callId = place(aliceToken, "+15550100");
      alice.awaitStatus(callId, "completed", WAIT);

      List<String> statuses = alice.received(callId).stream()
          .map(f -> f.getJsonObject("body").getString("status")).toList();
      assertThat(statuses).containsExactly("dialing", "ringing", "answered", "completed");
      JsonObject completed = alice.awaitStatus(callId, "completed", WAIT);
      assertThat(completed.getString("address")).isEqualTo("calls.status.owner.alice");
      assertThat(completed.getJsonObject("body").getString("owner")).isEqualTo("alice");
      assertThat(completed.getJsonObject("body").getString("previous_status")).isEqualTo("answered");
      assertThat(completed.getJsonObject("body").getInteger("duration")).isBetween(1, 3);
    }
  }

  @Test
  @DisplayName("user A's token cannot receive user B's call events: B's address and the all-calls address are refused")
  void otherUsersEventsAreNotDelivered() throws Exception {
    try (BridgeSocket alice = socket(aliceToken); BridgeSocket bob = socket(bobToken)) {
      alice.register("calls.status.owner.bob");
      alice.awaitError("rejected", WAIT);
      alice.register("calls.status.all");
      await(() -> errors(alice, "rejected") == 2, "second refusal");
      alice.listen("calls.status.owner.alice");
      bob.listen("calls.status.owner.bob");

      String bobsCall = place(bobToken, "+15550105");
      bob.awaitStatus(bobsCall, "completed", WAIT);
      Thread.sleep(QUIET.toMillis());

      assertThat(alice.received(bobsCall)).isEmpty();
      assertThat(alice.frames()).noneMatch(f -> f.encode().contains(bobsCall));
      assertThat(alice.isClosed()).as("a refused registration leaves the socket open").isFalse();
    }
  }

  @Test
  @DisplayName("an admin may listen to every call on calls.status.all, but still not on another user's address")
  void adminListensToAllCalls() throws Exception {
    try (BridgeSocket admin = socket(adminToken)) {
      admin.register("calls.status.owner.bob");
      admin.awaitError("rejected", WAIT);
      admin.listen("calls.status.all");
      String bobsCall = place(bobToken, "+15550101");

      JsonObject busy = admin.awaitStatus(bobsCall, "busy", WAIT);
      assertThat(busy.getString("address")).isEqualTo("calls.status.all");
      assertThat(busy.getJsonObject("body").getString("owner")).isEqualTo("bob");
    }
  }

  @Test
  @DisplayName("nothing goes in: send and publish from a client are refused, whatever the address")
  void sendAndPublishAreRefused() throws Exception {
    List<Object> leaked = new CopyOnWriteArrayList<>();
    app.app().vertx().eventBus().consumer("test.bridge.inbound", msg -> leaked.add(msg.body()))
        .completion().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    try (BridgeSocket admin = socket(adminToken); BridgeSocket alice = socket(aliceToken)) {
      alice.listen("calls.status.owner.alice");
      admin.listen("calls.status.all");
      JsonObject forged = new JsonObject().put("call_id", "forged").put("owner", "alice").put("status", "completed");
      List<JsonObject> attempts = List.of(
          frame("send", "test.bridge.inbound", forged),
          frame("publish", "test.bridge.inbound", forged),
          frame("publish", "calls.status.owner.alice", forged),
          frame("publish", "calls.status.all", forged),
          frame("send", "db.calls.create", new JsonObject().put("owner", "alice")),
          frame("send", "ari.calls.hangup", new JsonObject()).put("replyAddress", "x"));
      attempts.forEach(admin::send);
      await(() -> errors(admin, "rejected") == attempts.size(), "one refusal per attempt");
      Thread.sleep(QUIET.toMillis());

      assertThat(leaked).isEmpty();
      assertThat(alice.frames()).noneMatch(f -> f.encode().contains("forged"));
      assertThat(admin.frames()).noneMatch(f -> "rec".equals(f.getString("type")));
      assertThat(admin.isClosed()).isFalse();
    }
  }

  @Test
  @DisplayName("a socket without a valid token is refused: none, garbage, another key or audience, expired, no exp")
  void socketsWithoutValidTokenAreRefused() throws Exception {
    TokenService otherKey = new TokenService(clients, "an-entirely-different-secret-of-32-bytes!", "contact-center-api",
        "contact-center-api", 3600);
    TokenService sameKey = new TokenService(clients, app.env().get("SECRET_KEY"), "contact-center-api",
        "contact-center-api", 3600);
    long now = System.currentTimeMillis() / 1000;
    JsonObject alice = new JsonObject().put("sub", "alice").put("role", "user").put("iss", "contact-center-api")
        .put("aud", "contact-center-api");
    String expired = sameKey.auth().generateToken(alice.copy().put("iat", now - 120).put("exp", now - 60),
        new JWTOptions().setAlgorithm("HS256"));
    String neverExpiring = sameKey.auth().generateToken(alice.copy().put("iat", now),
        new JWTOptions().setAlgorithm("HS256"));
    TokenService otherAudience = new TokenService(clients, app.env().get("SECRET_KEY"), "contact-center-api",
        "someone-else", 3600);
    for (String bad : List.of("garbage", aliceToken + "x", otherKey.issue("alice", "admin"),
        expired, neverExpiring, otherAudience.issue("alice", "user"))) {
      try (BridgeSocket socket = BridgeSocket.open(port(), bad)) {
        assertThat(socket.awaitClosed(WAIT)).as("close code for token %s", bad).isEqualTo((short) 4401);
        // An expired token is named as such (the README's token_expired); every other bad token is invalid_token.
        String reason = bad.equals(expired) ? "token_expired" : "invalid_token";
        assertThat(socket.frames()).containsExactly(new JsonObject().put("type", "err").put("body", reason));
      }
    }

    try (BridgeSocket anonymous = BridgeSocket.open(port(), null)) {
      anonymous.register("calls.status.owner.alice");
      anonymous.awaitError("auth_required", WAIT);
      assertThat(anonymous.awaitClosed(WAIT)).isEqualTo((short) 4401);
    }
    try (BridgeSocket anonymous = BridgeSocket.open(port(), null)) {
      anonymous.send(frame("publish", "calls.status.all", new JsonObject()));
      anonymous.awaitError("auth_required", WAIT);
      assertThat(anonymous.awaitClosed(WAIT)).isEqualTo((short) 4401);
    }
    try (BridgeSocket forged = BridgeSocket.open(port(), null)) {
      forged.register("calls.status.owner.alice", otherKey.issue("alice", "user"));
      forged.awaitError("invalid_token", WAIT);
      assertThat(forged.awaitClosed(WAIT)).isEqualTo((short) 4401);
      assertThat(forged.frames()).noneMatch(f -> "rec".equals(f.getString("type")));
    }
  }

  @Test
  @DisplayName("the token may come in the first frame instead of the URL: pings first are fine")
  void tokenInFirstRegisterFrame() throws Exception {
    try (BridgeSocket alice = BridgeSocket.open(port(), null)) {
      alice.send(new JsonObject().put("type", "ping"));
      alice.listen("calls.status.owner.alice", aliceToken);
      String callId = place(aliceToken, "+15550105");
      alice.awaitStatus(callId, "completed", WAIT);
      alice.register("calls.status.owner.bob");
      alice.awaitError("rejected", WAIT);
    }
  }

  @Test
  @DisplayName("when the token expires the socket is closed, with token_expired first")
  void socketClosesWhenTokenExpires() throws Exception {
    TokenService shortLived = new TokenService(clients, app.env().get("SECRET_KEY"), "contact-center-api",
        "contact-center-api", 3);
    String token = shortLived.issue("alice", "user");
    long issued = System.nanoTime();
    try (BridgeSocket alice = BridgeSocket.open(port(), token)) {
      alice.listen("calls.status.owner.alice");
      String callId = place(aliceToken, "+15550105");
      alice.await(f -> f.encode().contains(callId), WAIT, "an event of the call");
      assertThat(alice.isClosed()).isFalse();

      Short code = alice.awaitClosed(Duration.ofSeconds(8));
      long lived = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - issued);
      assertThat(code).isEqualTo((short) 4401);
      assertThat(lived).as("closed at exp (3 s, whole seconds), not before").isBetween(1_900L, 5_000L);
      assertThat(alice.frames()).contains(new JsonObject().put("type", "err").put("body", "token_expired"));
      assertThat(alice.received(callId)).isNotEmpty();
    }
  }

  @Test
  @DisplayName("disabling a user closes their open sockets at once")
  void disablingUserClosesSockets() throws Exception {
    String carolToken = api.login("carol", PASSWORD);
    try (BridgeSocket carol = socket(carolToken)) {
      carol.listen("calls.status.owner.carol");
      assertThat(api.delete("/api/v2/users/carol", adminToken).status()).isBetween(200, 204);
      carol.awaitError("user_disabled", WAIT);
      assertThat(carol.awaitClosed(WAIT)).isEqualTo((short) 4401);
    }
    try (BridgeSocket carol = BridgeSocket.open(port(), carolToken)) {
      carol.awaitError("user_disabled", WAIT);
      assertThat(carol.awaitClosed(WAIT)).isEqualTo((short) 4401);
    }
  }

  @Test
  @DisplayName("malformed and unexpected frames are refused one by one; the socket and the service carry on")
  void malformedFramesAreRefusedHarmlessly() throws Exception {
    try (BridgeSocket alice = socket(aliceToken)) {
      alice.sendText("not json");
      alice.sendText("[1,2,3]");
      alice.sendText("{}");
      alice.sendText("{\"type\":\"register\"}");
      alice.sendText("{\"type\":\"shout\",\"address\":\"calls.status.all\"}");
      alice.sendText("{\"type\":\"register\",\"address\":\"" + "x".repeat(5000) + "\"}");
      alice.sendText("{\"type\":\"register\",\"address\":{\"nested\":true}}");
      alice.sendText("{\"type\":\"register\",\"address\":42,\"headers\":\"Bearer x\"}");
      alice.sendText("{\"type\":\"ping\",\"address\":[]}");
      alice.sendText("{\"type\":\"unregister\",\"address\":\"calls.status.owner.bob\"}");
      alice.register("calls.status.owner.alice\n12:00:00 INFO forged log line");
      for (int i = 0; i < 8; i++) {
        alice.register("calls.status.owner.alice.extra" + i);
      }
      await(() -> count(alice, "err") >= 9, "an err frame per bad frame");
      assertThat(alice.isClosed()).isFalse();

      alice.listen("calls.status.owner.alice");
      String callId = place(aliceToken, "+15550105");
      alice.awaitStatus(callId, "completed", WAIT);
    }
    assertThat(api.get("/health", null).status()).isEqualTo(200);
  }

  // --------------------------------------------------------------------------------------------------------------

  private BridgeSocket socket(String token) throws Exception {
    return BridgeSocket.open(port(), token);
  }

  private int port() {
    return app.app().httpPort();
  }

  /** Places a call through the API; returns its id. */
  private String place(String token, String number) {
    return new CallProbe(api, token).place(number, null);
  }

  private static JsonObject frame(String type, String address, JsonObject body) {
    return new JsonObject().put("type", type).put("address", address).put("body", body);
  }

  private static long errors(BridgeSocket socket, String body) {
    return socket.frames().stream().filter(f -> "err".equals(f.getString("type")) && body.equals(f.getString("body")))
        .count();
  }

  private static long count(BridgeSocket socket, String type) {
    return socket.frames().stream().filter(f -> type.equals(f.getString("type"))).count();
  }

  private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within " + WAIT + ": " + what);
      }
      Thread.sleep(20);
    }
  }
}
