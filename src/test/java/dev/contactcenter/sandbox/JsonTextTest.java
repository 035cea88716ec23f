package dev.contactcenter.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.Json;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Sandbox JSON text is byte for byte what the JSON encoder writes")
class JsonTextTest {

  @Test
  @DisplayName("every UTF-16 character, alone and between plain text, is quoted and escaped as the encoder does")
  void everyCharacter() {
    for (int c = 0; c <= 0xFFFF; c++) {
      String alone = String.valueOf((char) c);
      assertThat(JsonText.quoted(alone)).as("U+%04X", c).isEqualTo(Json.encode(alone));
      String between = "ab" + (char) c + "cd" + (char) c;
      assertThat(JsonText.quoted(between)).as("U+%04X in text", c).isEqualTo(Json.encode(between));
    }
    assertThat(JsonText.quoted(null)).isEqualTo("null");
    assertThat(JsonText.quoted("")).isEqualTo("\"\"");
    assertThat(JsonText.quoted("\"Support \\\"desk\\\"\"\n\u0001é😀")).isEqualTo(Json.encode("\"Support \\\"desk\\\"\"\n\u0001é😀"));
  }

  @Test
  @DisplayName("a channel's snapshot text equals its JsonObject encoded, whatever its names hold")
  void channelSnapshot() {
    SandboxChannel channel = new SandboxChannel("c-\"1\"", "PJSIP/tr\\unk-1", 1_764_000_000_123L,
        CallerId.parse("\"Support \\\"desk\\\"\" <+15551230000>"), new CallerId("é\t", null), SandboxChannel.RING);
    assertThat(channel.json()).isEqualTo(channel.toJson().encode());
    channel.at("outbound-ivr", "s", 3, "Stasis", "cc,\u0007call");
    assertThat(channel.json()).isEqualTo(channel.toJson().encode());
    channel.state(SandboxChannel.UP);
    assertThat(channel.json()).isEqualTo(channel.toJson().encode());
  }
}
