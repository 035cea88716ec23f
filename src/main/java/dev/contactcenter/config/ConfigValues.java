package dev.contactcenter.config;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.DoublePredicate;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/** Typed access to the merged configuration values (file, then environment), each failure naming its key. */
record ConfigValues(JsonObject json) {

  String string(String key) {
    Object value = json.getValue(key);
    return value == null ? "" : String.valueOf(value).trim();
  }

  Optional<String> optional(String key) {
    String value = string(key);
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  String nonEmpty(String key) {
    return optional(key).orElseThrow(() -> new ConfigException(key, "must not be empty"));
  }

  String matching(String key, Pattern pattern, String expectation) {
    String value = nonEmpty(key);
    if (!pattern.matcher(value).matches()) {
      throw new ConfigException(key, "'" + value + "' is invalid: expected " + expectation);
    }
    return value;
  }

  int integer(String key, IntPredicate valid, String expectation) {
    String raw = nonEmpty(key);
    int value;
    try {
      value = Integer.parseInt(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "'" + raw + "' is not an integer; expected " + expectation);
    }
    if (!valid.test(value)) {
      throw new ConfigException(key, value + " is out of range; expected " + expectation);
    }
    return value;
  }

  double decimal(String key, DoublePredicate valid, String expectation) {
    String raw = nonEmpty(key);
    double value;
    try {
      value = Double.parseDouble(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "'" + raw + "' is not a number; expected " + expectation);
    }
    if (!Double.isFinite(value) || !valid.test(value)) {
      throw new ConfigException(key, raw + " is out of range; expected " + expectation);
    }
    return value;
  }

  boolean bool(String key) {
    String raw = nonEmpty(key).toLowerCase();
    return switch (raw) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new ConfigException(key, "'" + raw + "' is not a boolean (true/false)");
    };
  }

  /** A comma-separated value as its trimmed, non-empty items (none when blank). */
  List<String> list(String key) {
    String value = string(key);
    return value.isBlank() ? List.of()
        : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
