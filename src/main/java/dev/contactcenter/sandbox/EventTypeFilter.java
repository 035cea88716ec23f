package dev.contactcenter.sandbox;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.TreeSet;

/**
 * An application's event filter, with Asterisk's rules: an empty allowed list allows every type, and a type both
 * allowed and disallowed is not sent.
 */
record EventTypeFilter(Set<String> allowed, Set<String> disallowed) {

  static final EventTypeFilter NONE = new EventTypeFilter(Set.of(), Set.of());

  boolean allows(String type) {
    return !disallowed.contains(type) && (allowed.isEmpty() || allowed.contains(type));
  }

  /**
   * This filter changed by a {@code PUT .../eventFilter} body: no body empties both lists; a list the body leaves
   * out is kept.
   *
   * @throws IllegalArgumentException for a body Asterisk answers 400: a list that is not an array of
   *                                  {@code {"type": "<name>"}} objects
   */
  EventTypeFilter updatedBy(JsonObject body) {
    if (body == null) {
      return NONE;
    }
    return new EventTypeFilter(body.containsKey("allowed") ? types(body.getValue("allowed")) : allowed,
        body.containsKey("disallowed") ? types(body.getValue("disallowed")) : disallowed);
  }

  /** The lists as the Application model gives them ({@code events_allowed}, {@code events_disallowed}). */
  JsonObject describe(JsonObject application) {
    return application.put("events_allowed", json(allowed)).put("events_disallowed", json(disallowed));
  }

  private static Set<String> types(Object list) {
    if (!(list instanceof JsonArray array)) {
      throw new IllegalArgumentException("Invalid format definition");
    }
    Set<String> types = new TreeSet<>();
    for (Object entry : array) {
      if (!(entry instanceof JsonObject object) || !(object.getValue("type") instanceof String type)
          || type.isEmpty()) {
        throw new IllegalArgumentException("Invalid format definition");
      }
      types.add(type);
    }
    return Set.copyOf(types);
  }

  private static JsonArray json(Set<String> types) {
    JsonArray list = new JsonArray();
    new TreeSet<>(types).forEach(type -> list.add(new JsonObject().put("type", type)));
    return list;
  }
}
