package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.BlockedThreadRecorder;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.TestApp;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Live status: every accepted transition of a call is published on {@code calls.status.all} and on its owner's
 * {@code calls.status.owner.<username>}, as plain JSON any event-bus client (the browser bridge included) reads.
 */
@DisplayName("Call status publications on the event bus")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CallBroadcastTest {

  private static final Duration WITHIN = Duration.ofSeconds(15);

  private TestApp app;
  private ApiClient api;
  private String admin;
  private int blockedMark;
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    app = TestApp.start();
    api = app.client();
    admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    blockedMark = BlockedThreadRecorder.count();
  }

  @AfterEach
  void unregister() {
    Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).await();
    consumers.clear();
  }

  @AfterAll
  void stop() throws Exception {
    app.close();
    BlockedThreadRecorder.assertNoneSince(blockedMark);
  }

  /** Collects what arrives on {@code address}, once the registration reached every node. */
  private List<JsonObject> listen(String address) {
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    EventBus bus = app.app().vertx().eventBus();
    MessageConsumer<JsonObject> consumer = bus.consumer(address, message -> received.add(message.body()));
    consumer.completion().await();
    consumers.add(consumer);
    return received;
  }

  private static List<JsonObject> of(List<JsonObject> received, String callId) {
    return received.stream().filter(m -> callId.equals(m.getString("call_id"))).toList();
  }

  private static List<String> statuses(List<JsonObject> messages) {
    return messages.stream().map(m -> m.getString("status")).toList();
  }

  private String place(String token, String number) {
    return Calls.place(api, token, new JsonObject().put("phone_number", number));
  }

  @Test
  @DisplayName("publishes dialing, ringing, answered, completed in order to all and to the owner, not to others")
  void answeredCall() {
    String alice = Calls.uniqueName("alice");
    String bob = Calls.uniqueName("bob");
    String aliceToken = Calls.createUser(api, admin, alice);
    String bobToken = Calls.createUser(api, admin, bob);
    List<JsonObject> all = listen(EventBusAddresses.CALL_STATUS_ALL);
    List<JsonObject> toAlice = listen(EventBusAddresses.callStatusOf(alice));
    List<JsonObject> toBob = listen(EventBusAddresses.callStatusOf(bob));

    String aliceCall = place(aliceToken, "+15550000600");
    String bobCall = place(bobToken, "+15550000611");

    Calls.eventually(WITHIN, () -> {
      assertThat(statuses(of(toAlice, aliceCall))).contains("completed");
      assertThat(statuses(of(all, aliceCall))).contains("completed");
      assertThat(statuses(of(toBob, bobCall))).contains("busy");
      assertThat(statuses(of(all, bobCall))).contains("busy");
    });

    List<JsonObject> published = of(all, aliceCall);
    assertThat(statuses(published)).containsExactly("dialing", "ringing", "answered", "completed");
    assertThat(published).extracting(m -> m.getString("previous_status"))
        .containsExactly("pending", "dialing", "ringing", "answered");
    assertThat(of(toAlice, aliceCall)).as("the owner's address gets the same messages").isEqualTo(published);
    assertThat(of(toBob, aliceCall)).as("another owner's address gets nothing of alice's call").isEmpty();
    assertThat(of(toAlice, bobCall)).as("and alice gets nothing of bob's call").isEmpty();
    assertThat(statuses(of(all, bobCall))).containsExactly("dialing", "busy");

    JsonObject call = Calls.get(api, aliceToken, aliceCall);
    for (JsonObject message : published) {
      assertThat(message.getString("call_id")).isEqualTo(aliceCall);
      assertThat(message.getString("owner")).isEqualTo(alice);
      assertThat(message.getString("phone_number")).isEqualTo("+15550000600");
      assertThat(message.getString("created_at")).isEqualTo(call.getString("created_at"));
      assertThat(message.getString("dialed_at")).isEqualTo(call.getString("dialed_at"));
      assertThat(Instant.parse(message.getString("at"))).isNotNull();
      assertThat(message.fieldNames()).contains("call_id", "owner", "status", "previous_status", "at", "created_at",
          "dialed_at", "ringing_at", "answered_at", "ended_at", "duration", "failure_reason", "hangup_cause",
          "hangup_cause_text");
    }
    JsonObject dialing = published.get(0);
    JsonObject ringing = published.get(1);
    JsonObject answered = published.get(2);
    JsonObject completed = published.get(3);
    assertThat(dialing.getString("at")).isEqualTo(call.getString("dialed_at"));
    assertThat(dialing.getString("ringing_at")).isNull();
    assertThat(ringing.getString("at")).isEqualTo(call.getString("ringing_at"));
    assertThat(ringing.getString("answered_at")).isNull();
    assertThat(answered.getString("at")).isEqualTo(call.getString("answered_at"));
    assertThat(answered.getString("ended_at")).isNull();
    assertThat(answered.getInteger("duration")).isNull();
    assertThat(completed.getString("at")).isEqualTo(call.getString("ended_at"));
    assertThat(completed.getString("ended_at")).isEqualTo(call.getString("ended_at"));
    assertThat(completed.getInteger("duration")).isEqualTo(call.getInteger("duration")).isBetween(1, 3);
    assertThat(completed.getInteger("hangup_cause")).isEqualTo(16);

    JsonObject busy = of(all, bobCall).get(1);
    assertThat(busy.getString("owner")).isEqualTo(bob);
    assertThat(busy.getInteger("hangup_cause")).isEqualTo(17);
    assertThat(busy.getString("hangup_cause_text")).isEqualTo("User busy");
    assertThat(busy.getString("previous_status")).isEqualTo("dialing");
  }

  @Test
  @DisplayName("publishes the failure of a call that could not be placed, with its reason")
  void failedCall() {
    String carol = Calls.uniqueName("carol");
    String token = Calls.createUser(api, admin, carol);
    List<JsonObject> toCarol = listen(EventBusAddresses.callStatusOf(carol));

    String callId = place(token, "+15550000614");

    Calls.eventually(WITHIN, () -> assertThat(statuses(of(toCarol, callId))).contains("failed"));
    List<JsonObject> published = of(toCarol, callId);
    assertThat(statuses(published)).containsExactly("dialing", "failed");
    JsonObject failed = published.get(1);
    assertThat(failed.getInteger("hangup_cause")).isEqualTo(21);
    assertThat(failed.getString("failure_reason")).isNotBlank();
    assertThat(failed.getString("ended_at")).isNotNull();
    assertThat(failed.getInteger("duration")).isNull();
  }
}
