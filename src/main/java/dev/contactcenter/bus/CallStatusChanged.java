package dev.contactcenter.bus;

import io.vertx.core.json.JsonObject;

/**
 * Shape of a call transition publication on {@code calls.status.all} and {@code calls.status.owner.<owner>}: the
 * call exactly as the API shows it (the contract's CallStatus, built in one place by the persistence layer) plus
 * {@code previous_status} and {@code at} (when the transition happened). Plain JSON (snake_case, ISO-8601 UTC
 * times) so any event-bus client, the browser bridge included, reads it.
 */
public final class CallStatusChanged {

  private CallStatusChanged() {
  }

  /** Builds the publication from a call as returned by the persistence layer (API field names). */
  public static JsonObject of(JsonObject call, String previousStatus, String at) {
    return completed(call.copy(), previousStatus, at);
  }

  /**
   * The publication made of the call object itself (no copy), for a call built for this one transition: from here on
   * it is read-only, since the bus copies it for each consumer, possibly on their own threads.
   */
  public static JsonObject completed(JsonObject call, String previousStatus, String at) {
    return call.put("previous_status", previousStatus).put("at", at);
  }

  /**
   * Shape of a publication on {@code calls.status.ended}: of a final transition's publication, only what its
   * consumers (the dispatcher, the finished-calls metric) read: the bus copies a publication for each local consumer,
   * and the whole call is several times this.
   */
  public static JsonObject ended(JsonObject changed) {
    return new JsonObject().put("call_id", changed.getValue("call_id")).put("owner", changed.getValue("owner"))
        .put("server", changed.getValue("server")).put("status", changed.getValue("status"))
        .put("previous_status", changed.getValue("previous_status")).put("at", changed.getValue("at"))
        .put("attempt_number", changed.getValue("attempt_number")).put("retry", changed.getValue("retry"));
  }
}
