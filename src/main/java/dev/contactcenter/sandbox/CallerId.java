package dev.contactcenter.sandbox;

import io.vertx.core.json.JsonObject;

/**
 * A caller-id party as ARI shows it ({@code {"name":…,"number":…}}), parsed from an originate
 * {@code callerId} such as {@code "Support" <+15551230000>} or {@code +15551230000}.
 */
record CallerId(String name, String number) {

  static final CallerId EMPTY = new CallerId("", "");

  /** Parses like Asterisk's {@code ast_callerid_parse}: {@code Name <number>}, a bare number or a bare name. */
  static CallerId parse(String text) {
    if (text == null || text.isBlank()) {
      return EMPTY;
    }
    String trimmed = text.trim();
    int open = trimmed.lastIndexOf('<');
    int close = trimmed.lastIndexOf('>');
    if (open >= 0 && close > open) {
      String name = unquote(trimmed.substring(0, open).trim());
      return new CallerId(name, shrink(trimmed.substring(open + 1, close).trim()));
    }
    String unquoted = unquote(trimmed);
    return looksLikeNumber(unquoted) ? new CallerId("", shrink(unquoted)) : new CallerId(unquoted, "");
  }

  JsonObject toJson() {
    return new JsonObject().put("name", name).put("number", number);
  }

  /** {@link #toJson()} as text. */
  StringBuilder appendJson(StringBuilder out) {
    JsonText.append(out.append("{\"name\":"), name).append(",\"number\":");
    return JsonText.append(out, number).append('}');
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
  }

  private static boolean looksLikeNumber(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> Character.isDigit(c) || "+*#-(). ".indexOf(c) >= 0);
  }

  // Asterisk drops the usual separators from numbers it can shrink.
  private static String shrink(String number) {
    return number.replaceAll("[\\s().-]", "");
  }
}
