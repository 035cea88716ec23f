package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Well-formed UTF-8 (RFC 3629)")
class Utf8Test {

  @Test
  @DisplayName("takes every length of character up to U+10FFFF and refuses overlong, surrogate and cut-off forms")
  void table() {
    int[][] good = {{}, {0x41}, {0x7F}, {0xC2, 0x80}, {0xC3, 0xA9}, {0xDF, 0xBF}, {0xE0, 0xA0, 0x80}, {0xE2, 0x82, 0xAC},
        {0xED, 0x9F, 0xBF}, {0xEE, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}, {0xF0, 0x90, 0x80, 0x80},
        {0xF0, 0x9D, 0x84, 0x9E}, {0xF4, 0x8F, 0xBF, 0xBF}};
    int[][] bad = {{0x80}, {0xBF}, {0xC0, 0xAF}, {0xC1, 0xBF}, {0xC3}, {0xC3, 0x28}, {0xE0, 0x80, 0xAF},
        {0xE0, 0x9F, 0xBF}, {0xE2, 0x82}, {0xE2, 0x28, 0xAC}, {0xED, 0xA0, 0x80}, {0xED, 0xBF, 0xBF},
        {0xF0, 0x80, 0x80, 0xAF}, {0xF0, 0x8F, 0xBF, 0xBF}, {0xF0, 0x90, 0x28, 0x80}, {0xF4, 0x90, 0x80, 0x80},
        {0xF5, 0x80, 0x80, 0x80}, {0xF8, 0x88, 0x80, 0x80, 0x80}, {0xFE}, {0xFF}};
    for (int[] sample : good) {
      assertThat(Utf8.wellFormed(bytes(sample))).as(java.util.Arrays.toString(sample)).isTrue();
    }
    for (int[] sample : bad) {
      assertThat(Utf8.wellFormed(bytes(sample))).as(java.util.Arrays.toString(sample)).isFalse();
    }
  }

  @Test
  @DisplayName("agrees with the JDK's strict decoder on 200,000 random byte strings")
  void agreesWithTheJdk() {
    Random random = new Random(42);
    for (int i = 0; i < 200_000; i++) {
      byte[] sample = new byte[random.nextInt(8)];
      for (int k = 0; k < sample.length; k++) {
        // Mostly the bytes that matter: lead and continuation bytes, some ASCII.
        int kind = random.nextInt(4);
        sample[k] = (byte) (kind == 0 ? random.nextInt(0x80) : kind == 1 ? 0x80 + random.nextInt(0x40)
            : 0xC0 + random.nextInt(0x40));
      }
      assertThat(Utf8.wellFormed(sample)).as(java.util.HexFormat.of().formatHex(sample)).isEqualTo(strict(sample));
    }
  }

  private static boolean strict(byte[] sample) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(sample));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static byte[] bytes(int[] values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }
}
