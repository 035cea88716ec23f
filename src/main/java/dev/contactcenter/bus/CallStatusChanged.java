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
}
