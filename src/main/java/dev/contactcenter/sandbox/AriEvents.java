package dev.contactcenter.sandbox;

import dev.contactcenter.calls.HangupCauses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Builds ARI event JSON with the fields and key order of Asterisk 22: {@code type}, {@code timestamp},
 * the event's own fields, then {@code asterisk_id} and {@code application}.
 *
 * <p>Two details follow Asterisk's source rather than the event model: a {@code Dial} for an
 * originated channel has no {@code caller} (nobody dials it), and {@code soft} appears in
 * {@code ChannelHangupRequest} only for a hang-up requested through ARI, where it is {@code true}.
 */
final class AriEvents {

  private final String asteriskId;

  AriEvents(String asteriskId) {
    this.asteriskId = asteriskId;
  }

  JsonObject dial(long at, String app, SandboxChannel peer, String dialstring, String dialstatus) {
    JsonObject event = start("Dial", at)
        .put("dialstatus", dialstatus)
        .put("forward", "")
        .put("dialstring", dialstring)
        .put("peer", peer.toJson());
    return finish(event, app);
  }

  JsonObject stateChange(long at, String app, SandboxChannel channel) {
    return finish(start("ChannelStateChange", at).put("channel", channel.toJson()), app);
  }

  /** Published when the channel reaches a new dialplan priority; names the application run there. */
  JsonObject dialplan(long at, String app, SandboxChannel channel) {
    JsonObject snapshot = channel.toJson();
    JsonObject location = snapshot.getJsonObject("dialplan");
    JsonObject event = start("ChannelDialplan", at)
        .put("channel", snapshot)
        .put("dialplan_app", location.getString("app_name"))
        .put("dialplan_app_data", location.getString("app_data"));
    return finish(event, app);
  }

  JsonObject stasisStart(long at, String app, SandboxChannel channel, JsonArray args) {
    return finish(start("StasisStart", at).put("args", args.copy()).put("channel", channel.toJson()), app);
  }

  JsonObject stasisEnd(long at, String app, SandboxChannel channel) {
    return finish(start("StasisEnd", at).put("channel", channel.toJson()), app);
  }

  /**
   * A hang-up request: {@code soft} is Asterisk's {@code ast_softhangup} (ARI {@code DELETE}), whose
   * {@code cause} is the soft-hangup flag; otherwise it is a queued hang-up from the other party.
   */
  JsonObject hangupRequest(long at, String app, SandboxChannel channel, int cause, boolean soft) {
    JsonObject event = start("ChannelHangupRequest", at).put("channel", channel.toJson()).put("cause", cause);
    if (soft) {
      event.put("soft", true);
    }
    return finish(event, app);
  }

  JsonObject destroyed(long at, String app, SandboxChannel channel, int cause) {
    JsonObject event = start("ChannelDestroyed", at)
        .put("cause", cause)
        .put("cause_txt", HangupCauses.text(cause))
        .put("channel", channel.toJson());
    return finish(event, app);
  }

  private static JsonObject start(String type, long at) {
    return new JsonObject().put("type", type).put("timestamp", AriClock.format(at));
  }

  private JsonObject finish(JsonObject event, String app) {
    return event.put("asterisk_id", asteriskId).put("application", app);
  }
}
