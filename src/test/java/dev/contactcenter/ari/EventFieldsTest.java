package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reading only the fields of an ARI event that the call state machine uses")
class EventFieldsTest {

  private static final String CHANNEL = "{\"id\":\"c-1\",\"name\":\"PJSIP/trunk-00000001\",\"state\":\"Ringing\","
      + "\"protocol_id\":\"\",\"caller\":{\"name\":\"\",\"number\":\"+4930\"},\"connected\":{\"name\":\"\",\"number\":\"\"},"
      + "\"accountcode\":\"\",\"dialplan\":{\"context\":\"default\",\"exten\":\"s\",\"priority\":1,\"app_name\":\"\","
      + "\"app_data\":\"\"},\"creationtime\":\"2026-11-23T21:43:18.347+0000\",\"language\":\"en\","
      + "\"channelvars\":{\"X\":\"{\\\"type\\\":1}\"}}";

  private static final List<String> FRAMES = List.of(
      "{\"type\":\"ChannelStateChange\",\"timestamp\":\"2026-11-23T21:43:18.400+0000\",\"channel\":" + CHANNEL
          + ",\"asterisk_id\":\"02:42\",\"application\":\"cc\"}",
      "{\"type\":\"Dial\",\"timestamp\":\"2026-11-23T21:43:18.401+0000\",\"dialstatus\":\"RINGING\",\"forward\":\"\","
          + "\"dialstring\":\"+4930@trunk\",\"peer\":" + CHANNEL + ",\"asterisk_id\":\"02:42\",\"application\":\"cc\"}",
      "{\"type\":\"StasisStart\",\"timestamp\":\"2026-11-23T21:43:19.000+0000\",\"args\":[\"call\",\"c-1\"],"
          + "\"channel\":" + CHANNEL + ",\"asterisk_id\":\"02:42\",\"application\":\"cc\"}",
      "{\"type\":\"ChannelDestroyed\",\"timestamp\":\"2026-11-23T21:43:25.000+0000\",\"cause\":17,"
          + "\"cause_txt\":\"User busy\",\"channel\":" + CHANNEL + ",\"asterisk_id\":\"02:42\",\"application\":\"cc\"}",
      "{\n  \"application\": \"cc\",\n  \"type\": \"ApplicationReplaced\",\n  \"timestamp\": \"2026-11-23T21:43:25.000+0000\"\n}");

  @Test
  @DisplayName("the state machine reads the same values as from the whole event")
  void sameValuesAsTheWholeEvent() {
    for (String frame : FRAMES) {
      JsonObject whole = new JsonObject(frame);
      JsonObject slim = EventFields.read(frame);
      assertThat(AriEvent.type(slim)).isEqualTo(AriEvent.type(whole));
      assertThat(AriEvent.channelId(slim)).isEqualTo(AriEvent.channelId(whole));
      assertThat(AriEvent.channelState(slim)).isEqualTo(AriEvent.channelState(whole));
      assertThat(AriEvent.timestamp(slim)).isEqualTo(AriEvent.timestamp(whole));
      assertThat(slim.getString("dialstatus", "")).isEqualTo(whole.getString("dialstatus", ""));
      assertThat(slim.getInteger("cause", 0)).isEqualTo(whole.getInteger("cause", 0));
      assertThat(slim.getString("cause_txt", "")).isEqualTo(whole.getString("cause_txt", ""));
      assertThat(slim.getJsonArray("args")).isEqualTo(whole.getJsonArray("args"));
    }
  }

  @Test
  @DisplayName("keeps nothing else: no caller, dialplan or variables")
  void dropsTheRest() {
    JsonObject slim = EventFields.read(FRAMES.get(0));
    assertThat(slim.fieldNames()).containsExactlyInAnyOrder("type", "timestamp", "channel");
    assertThat(slim.getJsonObject("channel").fieldNames()).containsExactlyInAnyOrder("id", "state");
  }

  @Test
  @DisplayName("refuses what is not one JSON object, as the full parser did")
  void refusesMalformedFrames() {
    for (String bad : List.of("not json", "[1,2]", "{\"type\":\"Dial\"", "{\"type\":\"Dial\"} {}", "")) {
      assertThatThrownBy(() -> EventFields.read(bad)).as(bad).isInstanceOf(DecodeException.class);
    }
  }
}
