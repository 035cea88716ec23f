package dev.contactcenter.calls;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** An origination request that fails validation; carries every offending field. */
public final class InvalidCallRequest extends RuntimeException {

  private final JsonArray errors;

  InvalidCallRequest(JsonArray errors) {
    super("invalid call request: " + errors.encode());
    this.errors = errors;
  }

  /** {@code [{field, message}, ...]} */
  public JsonArray errors() {
    return errors;
  }

  static JsonObject error(String field, String message) {
    return new JsonObject().put("field", field).put("message", message);
  }
}
