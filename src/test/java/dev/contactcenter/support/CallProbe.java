package dev.contactcenter.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Following calls through the public API, as a client would: poll until final, read the timeline. */
public final class CallProbe {

  private final ApiClient api;
  private final String token;

  public CallProbe(ApiClient api, String token) {
    this.api = api;
    this.token = token;
  }

  public JsonObject call(String callId) {
    ApiClient.Response r = api.get("/api/v2/calls/" + callId, token);
    if (r.status() != 200) {
      throw new AssertionError("GET call " + callId + ": " + r.status() + " " + r.body());
    }
    return r.json();
  }

  /** Polls until the call is no longer active; fails after {@code timeout}. */
  public JsonObject awaitFinal(String callId, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonObject call;
    do {
      call = call(callId);
      if (!call.getBoolean("is_active")) {
        return call;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("call " + callId + " still " + call.getString("status") + " after " + timeout);
  }

  /** Polls until the call reaches {@code status} (or ends otherwise); returns the call. */
  public JsonObject awaitStatus(String callId, String status, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonObject call;
    do {
      call = call(callId);
      if (status.equals(call.getString("status")) || !call.getBoolean("is_active")) {
        return call;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("call " + callId + " still " + call.getString("status") + " after " + timeout);
  }

  /** The statuses of the call's timeline in order, e.g. [dialing, ringing, answered, completed]. */
  public List<String> timeline(String callId) {
    JsonArray events = api.get("/api/v2/calls/" + callId + "/events", token).json().getJsonArray("events");
    List<String> statuses = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      statuses.add(events.getJsonObject(i).getString("to_status"));
    }
    return statuses;
  }

  /** Places a call through POST /api/v2/calls and returns its id (fails on anything but 201). */
  public String place(String number, JsonObject options) {
    JsonObject body = (options == null ? new JsonObject() : options.copy()).put("phone_number", number);
    ApiClient.Response r = api.post("/api/v2/calls", token, body);
    if (r.status() != 201) {
      throw new AssertionError("POST /api/v2/calls " + number + ": " + r.status() + " " + r.body());
    }
    return r.json().getString("call_id");
  }
}
