package dev.contactcenter.http;

/**
 * Well-formed UTF-8 as RFC 3629 defines it (the Unicode Standard's table 3-7). Jackson decodes an overlong form
 * ({@code C0 AF} for {@code /}), an encoded surrogate ({@code ED A0 80}) or a code point past U+10FFFF without
 * complaint, so a request could carry a character other than the bytes it was checked as, or one that cannot be
 * stored as sent.
 */
final class Utf8 {

  private Utf8() {
  }

  static boolean wellFormed(byte[] bytes) {
    int i = 0;
    int n = bytes.length;
    while (i < n) {
      int b = bytes[i];
      if (b >= 0) {
        i++;
        continue;
      }
      b &= 0xFF;
      int length;
      int low = 0x80;
      int high = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        length = 2;
      } else if (b >= 0xE0 && b <= 0xEF) {
        length = 3;
        if (b == 0xE0) {
          low = 0xA0;
        } else if (b == 0xED) {
          high = 0x9F;
        }
      } else if (b >= 0xF0 && b <= 0xF4) {
        length = 4;
        if (b == 0xF0) {
          low = 0x90;
        } else if (b == 0xF4) {
          high = 0x8F;
        }
      } else {
        return false;
      }
      if (i + length > n) {
        return false;
      }
      // Only the second byte has a narrower range; the rest are plain continuation bytes.
      int second = bytes[i + 1] & 0xFF;
      if (second < low || second > high) {
        return false;
      }
      for (int k = 2; k < length; k++) {
        int next = bytes[i + k] & 0xFF;
        if (next < 0x80 || next > 0xBF) {
          return false;
        }
      }
      i += length;
    }
    return true;
  }
}
