package dev.contactcenter.ari;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reading the fields of an ARI event that the call state machine needs. */
final class AriEvent {

  /** ARI's timestamp format, e.g. {@code 2026-11-23T21:43:18.347+0000}. */
  private static final DateTimeFormatter ARI_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

  private AriEvent() {
  }

  /**
   * ARI's own format, {@code 2026-11-23T21:43:18.347+0000}, read digit by digit: the formatter took a few per cent of
   * the ARI event loop under load (every state event carries a timestamp). Null when the value is not exactly that.
   */
  static Instant parseAriTime(String v) {
    if (v.length() != 28 || v.charAt(4) != '-' || v.charAt(7) != '-' || v.charAt(10) != 'T' || v.charAt(13) != ':'
        || v.charAt(16) != ':' || v.charAt(19) != '.' || (v.charAt(23) != '+' && v.charAt(23) != '-')) {
      return null;
    }
    int year = digits(v, 0, 4);
    int month = digits(v, 5, 7);
    int day = digits(v, 8, 10);
    int hour = digits(v, 11, 13);
    int minute = digits(v, 14, 16);
    int second = digits(v, 17, 19);
    int millis = digits(v, 20, 23);
    int offsetHours = digits(v, 24, 26);
    int offsetMinutes = digits(v, 26, 28);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0
        || minute > 59 || second < 0 || second > 59 || millis < 0 || offsetHours < 0 || offsetHours > 18
        || offsetMinutes < 0 || offsetMinutes > 59) {
      return null;
    }
    try {
      int offsetSeconds = (v.charAt(23) == '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
      long epochSecond = java.time.LocalDate.of(year, month, day).toEpochDay() * 86_400L
          + hour * 3600L + minute * 60L + second - offsetSeconds;
      return Instant.ofEpochSecond(epochSecond, millis * 1_000_000L);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  /** The decimal number in v[from, to), or -1 if a character is not a digit. */
  private static int digits(String v, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  static String type(JsonObject event) {
    return event.getString("type", "");
  }

  /** The channel the event is about; for {@code Dial} that is the peer (the channel being dialled). */
  static String channelId(JsonObject event) {
    JsonObject channel = event.getJsonObject("Dial".equals(type(event)) ? "peer" : "channel");
    return channel == null ? null : channel.getString("id");
  }

  static String channelState(JsonObject event) {
    JsonObject channel = event.getJsonObject("channel");
    return channel == null ? "" : channel.getString("state", "");
  }

  /** When the event happened according to Asterisk; the receive time only if the event carries none. */
  static Instant timestamp(JsonObject event) {
    return parseTime(event.getString("timestamp"));
  }

  static Instant parseTime(String value) {
    if (value == null) {
      return Instant.now();
    }
    Instant fast = parseAriTime(value);
    if (fast != null) {
      return fast;
    }
    try {
      return ARI_TIME.parse(value, Instant::from);
    } catch (DateTimeParseException e) {
      try {
        return Instant.parse(value);
      } catch (DateTimeParseException again) {
        return Instant.now();
      }
    }
  }
}
