package dev.contactcenter.bus;

import io.vertx.core.json.JsonObject;

/**
 * Reply on {@code db.calls.transition} to a {@link TransitionCommand} sent as an object: whether the database's guard
 * applied it and, if so, the call as it is now (the API's field names), as published ({@link CallStatusChanged}, with
 * {@code previous_status} and {@code at}). Handed over as is ({@link LocalCodec}), so the receiver must not change
 * {@code call}; a JSON request gets {@link #toJson()} instead.
 */
public record TransitionOutcome(boolean applied, JsonObject call) {

  public static final TransitionOutcome REFUSED = new TransitionOutcome(false, null);

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("applied", applied);
    return call == null ? json : json.put("call", call);
  }
}
