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
