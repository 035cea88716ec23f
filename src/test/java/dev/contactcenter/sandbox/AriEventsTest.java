package dev.contactcenter.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.calls.HangupCauses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Sandbox ARI events written as text have Asterisk 22's fields, values and key order")
class AriEventsTest {

  private static final long AT = 1_764_000_000_123L;
  private final AriEvents events = new AriEvents("02:42:ac:11:00:02");

  private static SandboxChannel channel() {
    return new SandboxChannel("c-1", "PJSIP/trunk-00000001", AT - 500,
        CallerId.parse("\"Support \\\"desk\\\"\" <+15551230000>"), CallerId.EMPTY, SandboxChannel.RING)
        .at("outbound-ivr", "s", 1, "Stasis", "cc,call");
  }

  /** The event as a JsonObject in the documented order: type, timestamp, own fields, asterisk_id, application. */
  private static JsonObject expected(String type, JsonObject own, String app) {
    JsonObject event = new JsonObject().put("type", type).put("timestamp", AriClock.format(AT));
    own.forEach(e -> event.put(e.getKey(), e.getValue()));
    return event.put("asterisk_id", "02:42:ac:11:00:02").put("application", app);
  }

  private static void same(String text, JsonObject expected) {
    JsonObject actual = new JsonObject(text);
    assertThat(actual).isEqualTo(expected);
    assertThat(new ArrayList<>(actual.fieldNames())).isEqualTo(new ArrayList<>(expected.fieldNames()));
    assertThat(text).isEqualTo(expected.encode());
  }

  @Test
  @DisplayName("every event type, with a channel snapshot taken when the event happens")
  void everyEventType() {
    SandboxChannel channel = channel();
    String app = "cc \"app\"";
    same(events.dial(AT, app, channel, "+1555@trunk", "RINGING"), expected("Dial", new JsonObject()
        .put("dialstatus", "RINGING").put("forward", "").put("dialstring", "+1555@trunk").put("peer", channel.toJson()), app));
    same(events.stateChange(AT, app, channel), expected("ChannelStateChange",
        new JsonObject().put("channel", channel.toJson()), app));
    same(events.dialplan(AT, app, channel), expected("ChannelDialplan", new JsonObject().put("channel", channel.toJson())
        .put("dialplan_app", "Stasis").put("dialplan_app_data", "cc,call"), app));
    same(events.stasisStart(AT, app, channel, new JsonArray(List.of("call", "c-1"))), expected("StasisStart",
        new JsonObject().put("args", new JsonArray().add("call").add("c-1")).put("channel", channel.toJson()), app));
    same(events.stasisEnd(AT, app, channel), expected("StasisEnd", new JsonObject().put("channel", channel.toJson()),
        app));
    same(events.hangupRequest(AT, app, channel, 16, false), expected("ChannelHangupRequest",
        new JsonObject().put("channel", channel.toJson()).put("cause", 16), app));
    same(events.hangupRequest(AT, app, channel, HangupCauses.SOFTHANGUP_EXPLICIT, true), expected("ChannelHangupRequest",
        new JsonObject().put("channel", channel.toJson()).put("cause", HangupCauses.SOFTHANGUP_EXPLICIT).put("soft", true),
        app));
    same(events.destroyed(AT, app, channel, 17), expected("ChannelDestroyed", new JsonObject().put("cause", 17)
        .put("cause_txt", HangupCauses.text(17)).put("channel", channel.toJson()), app));
  }

  @Test
  @DisplayName("a channel that changed state or place shows the change in the next event")
  void snapshotFollowsTheChannel() {
    SandboxChannel channel = channel();
    String before = events.stateChange(AT, "cc", channel);
    channel.state(SandboxChannel.UP);
    String after = events.stateChange(AT, "cc", channel);
    channel.at("ivr", "s", 2, "Answer", "");
    String moved = events.dialplan(AT, "cc", channel);
    assertThat(new JsonObject(before).getJsonObject("channel").getString("state")).isEqualTo("Ring");
    assertThat(new JsonObject(after).getJsonObject("channel").getString("state")).isEqualTo("Up");
    assertThat(new JsonObject(moved).getJsonObject("channel").getJsonObject("dialplan").getInteger("priority"))
        .isEqualTo(2);
    assertThat(new JsonObject(moved).getString("dialplan_app")).isEqualTo("Answer");
  }
}
