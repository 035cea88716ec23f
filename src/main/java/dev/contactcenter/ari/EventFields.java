package dev.contactcenter.ari;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.Set;

/**
 * Reads an ARI event frame into a JsonObject holding only the fields {@link CallEventHandler} and {@link AriEvent}
 * read: the event's {@code type}, {@code timestamp}, {@code dialstatus}, {@code cause}, {@code cause_txt},
 * {@code args}, and of its {@code channel} and {@code peer} only {@code id} and {@code state}. The rest (caller,
 * connected, dialplan, variables, language...) is skipped token by token without building maps or strings: most of
 * a state event's bytes, and most of the cost of parsing it in full.
 */
final class EventFields {

  private static final JsonFactory JSON = new JsonFactory();
  private static final Set<String> KEPT = Set.of("type", "timestamp", "dialstatus", "cause", "cause_txt", "args");
  private static final Set<String> CHANNELS = Set.of("channel", "peer");
  private static final Set<String> CHANNEL_KEPT = Set.of("id", "state");

  private EventFields() {
  }

  /** @throws DecodeException when the frame is not one JSON object */
  static JsonObject read(String frame) {
    try (JsonParser parser = JSON.createParser(frame)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new DecodeException("an ARI event is a JSON object");
      }
      JsonObject event = object(parser, KEPT, true);
      if (parser.nextToken() != null) {
        throw new DecodeException("trailing content after the ARI event");
      }
      return event;
    } catch (IOException e) {
      throw new DecodeException("not JSON: " + e.getMessage());
    }
  }

  /** The object the parser is at the start of, with only the {@code kept} fields (and channels, if asked). */
  private static JsonObject object(JsonParser parser, Set<String> kept, boolean top) throws IOException {
    JsonObject object = new JsonObject();
    JsonToken token;
    while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      JsonToken value = parser.nextToken();
      if (top && value == JsonToken.START_OBJECT && CHANNELS.contains(name)) {
        object.put(name, object(parser, CHANNEL_KEPT, false));
      } else if (kept.contains(name)) {
        object.put(name, value(parser, value));
      } else {
        parser.skipChildren();
      }
    }
    if (token != JsonToken.END_OBJECT) {
      throw new DecodeException("an ARI event object is cut off");
    }
    return object;
  }

  private static Object value(JsonParser parser, JsonToken token) throws IOException {
    return switch (token) {
      case VALUE_STRING -> parser.getText();
      case VALUE_NUMBER_INT -> parser.getNumberValue();
      case VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
      case VALUE_TRUE -> true;
      case VALUE_FALSE -> false;
      case VALUE_NULL -> null;
      case START_OBJECT -> whole(parser);
      case START_ARRAY -> array(parser);
      default -> throw new DecodeException("unexpected JSON token " + token);
    };
  }

  private static JsonObject whole(JsonParser parser) throws IOException {
    JsonObject object = new JsonObject();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      object.put(name, value(parser, parser.nextToken()));
    }
    return object;
  }

  private static JsonArray array(JsonParser parser) throws IOException {
    JsonArray array = new JsonArray();
    JsonToken token;
    while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
      if (token == null) {
        throw new DecodeException("an ARI event array is cut off");
      }
      array.add(value(parser, token));
    }
    return array;
  }
}
