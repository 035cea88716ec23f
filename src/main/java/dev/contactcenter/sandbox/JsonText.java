package dev.contactcenter.sandbox;

/**
 * JSON string literals written by hand, byte for byte as Vert.x's Jackson encoder writes them ({@code "}, {@code \}
 * and control characters escaped, everything else as is): the sandbox writes a dozen strings into each event, and
 * going through the encoder for each was a tenth of its CPU per call.
 */
final class JsonText {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private JsonText() {
  }

  /** The value as a JSON string, or {@code null}. */
  static String quoted(String value) {
    if (value == null) {
      return "null";
    }
    return append(new StringBuilder(value.length() + 2), value).toString();
  }

  /** Appends the value as a JSON string, or {@code null}. */
  static StringBuilder append(StringBuilder out, String value) {
    if (value == null) {
      return out.append("null");
    }
    out.append('"');
    int length = value.length();
    int plain = 0;
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      out.append(value, plain, i);
      plain = i + 1;
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    return out.append(value, plain, length).append('"');
  }
}
