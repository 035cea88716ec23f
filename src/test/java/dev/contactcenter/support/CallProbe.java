package dev.contactcenter.support;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/** {@link Calls} bound to one client and token: following calls through the public API, as a client would. */
public final class CallProbe {

  private final ApiClient api;
  private final String token;

  public CallProbe(ApiClient api, String token) {
    this.api = api;
    this.token = token;
  }

  public JsonObject call(String callId) {
    return Calls.get(api, token, callId);
  }

  /** Polls until the call is no longer active; fails after {@code timeout}. */
  public JsonObject awaitFinal(String callId, Duration timeout) {
    return Calls.awaitFinal(api, token, callId, timeout);
  }

  /** Polls until the call reaches {@code status} (or ends otherwise); returns the call. */
  public JsonObject awaitStatus(String callId, String status, Duration timeout) {
    return Calls.await(api, token, callId, timeout,
        call -> status.equals(call.getString("status")) || Calls.FINAL.contains(call.getString("status")), status);
  }

  /** The statuses of the call's timeline in order, e.g. [dialing, ringing, answered, completed]. */
  public List<String> timeline(String callId) {
    return Calls.timeline(api, token, callId).stream().map(step -> step.substring(step.indexOf('→') + 1)).toList();
  }

  /** Places a call through POST /api/v2/calls and returns its id (fails on anything but 201). */
  public String place(String number, JsonObject options) {
    return Calls.place(api, token, (options == null ? new JsonObject() : options.copy()).put("phone_number", number));
  }
}
