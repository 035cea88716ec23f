package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reading an ARI event's type without parsing the frame")
class AriEventTypeTest {

  @Test
  @DisplayName("finds the type in compact and pretty-printed frames")
  void findsTheType() {
    assertThat(AriEventSocket.typeOf("{\"type\":\"ChannelDialplan\",\"channel\":{\"id\":\"a\"}}"))
        .isEqualTo("ChannelDialplan");
    assertThat(AriEventSocket.typeOf("{\n  \"channel\": {\"id\": \"a\"},\n  \"type\" : \"Dial\"\n}")).isEqualTo("Dial");
  }

  @Test
  @DisplayName("gives up (so the frame is parsed in full) when 'type' is not a key")
  void givesUpWhenUnsure() {
    assertThat(AriEventSocket.typeOf("{\"variable\":\"type\",\"value\":\"x\",\"type\":\"ChannelVarset\"}")).isNull();
    assertThat(AriEventSocket.typeOf("{\"value\":\"say \\\"type\\\":\\\"Dial\\\"\",\"type\":\"ChannelVarset\"}"))
        .isEqualTo("ChannelVarset");
    assertThat(AriEventSocket.typeOf("not json")).isNull();
  }
}
