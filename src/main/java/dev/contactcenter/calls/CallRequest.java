package dev.contactcenter.calls;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A validated origination request with the configured defaults applied. Everything that reaches Asterisk's
 * dialplan is checked here against injection: only safe characters, bounded lengths, no control characters and
 * none of {@code , ; | "} where they could end a dialplan argument.
 */
public record CallRequest(String phoneNumber, String context, String extension, int priority, int timeoutMs,
    String callerId, Map<String, String> variables) {

  /** Separators people write inside a number: spaces (not tabs or line breaks), dashes, dots, brackets. */
  private static final Pattern STRIPPED = Pattern.compile("[ \\-.()\\[\\]]");
  private static final Pattern E164 = Pattern.compile("\\+?[0-9]{7,15}");
  private static final Pattern CONTEXT = Pattern.compile("[A-Za-z0-9_-]{1,79}");
  private static final Pattern EXTENSION = Pattern.compile("[A-Za-z0-9_*#+-]{1,79}");
  /** A bare caller number, or a quoted display name followed by a number in angle brackets. */
  private static final Pattern CALLER_ID = Pattern.compile(
      "(?:\"[\\p{L}\\p{N} ._'()@&-]{1,60}\" ?)?<?\\+?[0-9*#]{1,20}>?|[\\p{L}\\p{N} ._'()@&+-]{1,80}");
  private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
  private static final Pattern UNSAFE_VALUE = Pattern.compile("[\\p{Cntrl},;|\"]");
  private static final int MAX_VARIABLES = 32;
  private static final int MAX_VALUE_LENGTH = 256;

  /** Server-side defaults for the options a request may leave out. */
  public record Defaults(String context, String extension, int priority, int timeoutMs, String callerId) {
  }

  /**
   * Validates a raw number and an optional options body ({@code context, extension, priority, timeout, caller_id,
   * variables}). Throws {@link InvalidCallRequest} listing every bad field.
   */
  public static CallRequest from(String rawNumber, String numberField, JsonObject options, Defaults defaults) {
    JsonObject body = options == null ? new JsonObject() : options;
    JsonArray errors = new JsonArray();

    String phone = normalizeNumber(rawNumber);
    if (phone == null) {
      errors.add(InvalidCallRequest.error(numberField,
          "must be an E.164 number: '+' and 7 to 15 digits (spaces, dashes, dots and brackets are ignored)"));
    }
    String context = text(body, "context", defaults.context(), CONTEXT,
        "1-79 letters, digits, '_' or '-'", errors);
    String extension = text(body, "extension", defaults.extension(), EXTENSION,
        "1-79 letters, digits, '_', '*', '#', '+' or '-'", errors);
    int priority = integer(body, "priority", defaults.priority(), 1, 1_000_000, errors);
    int timeout = integer(body, "timeout", defaults.timeoutMs(), 1, 600_000, errors);
    String callerId = text(body, "caller_id", defaults.callerId(), CALLER_ID,
        "a number, or \"Name\" <number>; at most 80 characters, no control characters, commas, semicolons or pipes",
        errors);
    Map<String, String> variables = variables(body, errors);

    if (!errors.isEmpty()) {
      throw new InvalidCallRequest(errors);
    }
    return new CallRequest(phone, context, extension, priority, timeout, callerId, variables);
  }

  /** E.164 with the leading '+', or null when the input is not a phone number. */
  public static String normalizeNumber(String raw) {
    if (raw == null || raw.length() > 32) {
      return null;
    }
    String trimmed = raw.strip();
    // A separator may not come first: "-15551234567" reads as a negative number, not a phone number.
    if (trimmed.isEmpty() || trimmed.charAt(0) == '-' || trimmed.charAt(0) == '.') {
      return null;
    }
    String stripped = STRIPPED.matcher(raw).replaceAll("");
    if (!E164.matcher(stripped).matches()) {
      return null;
    }
    return stripped.startsWith("+") ? stripped : "+" + stripped;
  }

  public String digits() {
    return phoneNumber.substring(1);
  }

  /** A stable digest of the effective request, to tell a retried request from a different one (idempotency). */
  public String fingerprint() {
    return fingerprint(null);
  }

  /**
   * The digest with the dispatch options (retry policy, max_queue_seconds) as well: the same key with a different
   * retry policy is a different request. Without dispatch options the digest is the call's alone.
   */
  public String fingerprint(JsonObject dispatch) {
    JsonObject canonical = new JsonObject()
        .put("phone_number", phoneNumber).put("context", context).put("extension", extension)
        .put("priority", priority).put("timeout", timeoutMs).put("caller_id", callerId)
        .put("variables", variablesJson());
    if (dispatch != null) {
      canonical.put("dispatch", canonicalDispatch(dispatch));
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.encode().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The dispatch options with sorted keys and a sorted outcome list, so equal policies digest equally. */
  private static JsonObject canonicalDispatch(JsonObject dispatch) {
    TreeMap<String, Object> sorted = new TreeMap<>();
    dispatch.forEach(entry -> {
      Object value = entry.getValue();
      if (value instanceof JsonObject nested) {
        value = canonicalDispatch(nested);
      } else if (value instanceof JsonArray list) {
        java.util.List<String> items = new java.util.ArrayList<>();
        list.forEach(item -> items.add(String.valueOf(item)));
        java.util.Collections.sort(items);
        value = new JsonArray(new java.util.ArrayList<Object>(items));
      }
      sorted.put(entry.getKey(), value);
    });
    return new JsonObject(new java.util.LinkedHashMap<String, Object>(sorted));
  }

  public JsonObject variablesJson() {
    return new JsonObject(new TreeMap<String, Object>(variables));
  }

  private static String text(JsonObject body, String field, String fallback, Pattern allowed, String expectation,
      JsonArray errors) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback == null || fallback.isEmpty() ? null : fallback;
    }
    if (!(value instanceof String s) || !allowed.matcher(s).matches()) {
      errors.add(InvalidCallRequest.error(field, "must be " + expectation));
      return null;
    }
    return s;
  }

  private static int integer(JsonObject body, String field, int fallback, int min, int max, JsonArray errors) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.longValue() < min || n.longValue() > max) {
      errors.add(InvalidCallRequest.error(field, "must be an integer from " + min + " to " + max));
      return fallback;
    }
    return n.intValue();
  }

  private static Map<String, String> variables(JsonObject body, JsonArray errors) {
    Object value = body.getValue("variables");
    Map<String, String> result = new TreeMap<>();
    if (value == null) {
      return result;
    }
    if (!(value instanceof JsonObject vars)) {
      errors.add(InvalidCallRequest.error("variables", "must be an object of string values"));
      return result;
    }
    if (vars.size() > MAX_VARIABLES) {
      errors.add(InvalidCallRequest.error("variables", "at most " + MAX_VARIABLES + " variables"));
      return result;
    }
    for (String name : vars.fieldNames()) {
      Object v = vars.getValue(name);
      if (!VARIABLE_NAME.matcher(name).matches()) {
        errors.add(InvalidCallRequest.error("variables." + name,
            "names are a letter or '_' then letters, digits or '_' (at most 64)"));
      } else if (!(v instanceof String s) || s.length() > MAX_VALUE_LENGTH || UNSAFE_VALUE.matcher(s).find()) {
        errors.add(InvalidCallRequest.error("variables." + name, "must be a string of at most " + MAX_VALUE_LENGTH
            + " characters without control characters, ',', ';', '|' or '\"'"));
      } else {
        result.put(name, s);
      }
    }
    return result;
  }
}
