package dev.contactcenter.sandbox;

import io.vertx.core.json.JsonObject;

/**
 * The mutable snapshot of one simulated channel, rendered as Asterisk 22's channel JSON.
 *
 * <p>Only the event loop of the sandbox touches it. Every event copies the snapshot with
 * {@link #toJson()}, so an event shows the state the channel had when the event happened.
 */
final class SandboxChannel {

  static final String DOWN = "Down";
  static final String RING = "Ring";
  static final String RINGING = "Ringing";
  static final String UP = "Up";
  static final String BUSY = "Busy";

  final String id;
  final String name;
  private final long creationTime;
  private final CallerId caller;
  private final CallerId connected;
  private String state;
  private String context;
  private String exten;
  private int priority;
  private String appName;
  private String appData;
  /** The snapshot as JSON text while the channel does not change: most of a call's events repeat it unchanged. */
  private String json;

  SandboxChannel(String id, String name, long creationTime, CallerId caller, CallerId connected,
      String state) {
    this.id = id;
    this.name = name;
    this.creationTime = creationTime;
    this.caller = caller;
    this.connected = connected;
    this.state = state;
  }

  /** Moves the channel to a dialplan location, as the PBX does before it runs the application there. */
  SandboxChannel at(String newContext, String newExten, int newPriority, String app, String data) {
    context = newContext;
    exten = newExten;
    priority = newPriority;
    appName = app;
    appData = data;
    json = null;
    return this;
  }

  void state(String newState) {
    state = newState;
    json = null;
  }

  String context() {
    return context;
  }

  String exten() {
    return exten;
  }

  int priority() {
    return priority;
  }

  String appName() {
    return appName;
  }

  String appData() {
    return appData;
  }

  /** {@link #toJson()} encoded (same text), written directly and kept until the channel changes. */
  String json() {
    if (json == null) {
      StringBuilder out = new StringBuilder(512).append("{\"id\":");
      JsonText.append(out, id).append(",\"name\":");
      JsonText.append(out, name).append(",\"state\":");
      JsonText.append(out, state).append(",\"protocol_id\":\"\",\"caller\":");
      caller.appendJson(out).append(",\"connected\":");
      connected.appendJson(out).append(",\"accountcode\":\"\",\"dialplan\":{\"context\":");
      JsonText.append(out, context).append(",\"exten\":");
      JsonText.append(out, exten).append(",\"priority\":").append(priority).append(",\"app_name\":");
      JsonText.append(out, appName).append(",\"app_data\":");
      JsonText.append(out, appData).append("},\"creationtime\":");
      JsonText.append(out, AriClock.format(creationTime)).append(",\"language\":\"en\"}");
      json = out.toString();
    }
    return json;
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("name", name)
        .put("state", state)
        .put("protocol_id", "")
        .put("caller", caller.toJson())
        .put("connected", connected.toJson())
        .put("accountcode", "")
        .put("dialplan", new JsonObject()
            .put("context", context)
            .put("exten", exten)
            .put("priority", priority)
            .put("app_name", appName)
            .put("app_data", appData))
        .put("creationtime", AriClock.format(creationTime))
        .put("language", "en");
  }
}
