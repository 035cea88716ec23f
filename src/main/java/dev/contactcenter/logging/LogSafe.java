package dev.contactcenter.logging;

/**
 * Makes a client-supplied value safe to put in a log line: control characters (CR, LF, NUL, ESC...) are escaped so a
 * value cannot forge or split a line, and the length is capped so one request cannot write kilobytes.
 */
public final class LogSafe {

  /** Longest client value written to a log line, in characters, before the {@code …} mark. */
  public static final int MAX_CHARS = 120;

  private LogSafe() {
  }

  public static String text(Object value) {
    return text(value, MAX_CHARS);
  }

  public static String text(Object value, int maxChars) {
    if (value == null) {
      return "";
    }
    String raw = value.toString();
    StringBuilder out = new StringBuilder(Math.min(raw.length(), maxChars) + 8);
    for (int i = 0; i < raw.length(); i++) {
      if (out.length() >= maxChars) {
        out.append("…(").append(raw.length()).append(" chars)");
        break;
      }
      char c = raw.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
