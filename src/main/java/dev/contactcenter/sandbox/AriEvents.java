package dev.contactcenter.sandbox;

import dev.contactcenter.calls.HangupCauses;
import io.vertx.core.json.JsonArray;

/**
 * Builds ARI event JSON with the fields and key order of Asterisk 22: {@code type}, {@code timestamp},
 * the event's own fields, then {@code asterisk_id} and {@code application}.
 *
 * <p>Two details follow Asterisk's source rather than the event model: a {@code Dial} for an
 * originated channel has no {@code caller} (nobody dials it), and {@code soft} appears in
 * {@code ChannelHangupRequest} only for a hang-up requested through ARI, where it is {@code true}.
 */
final class AriEvents {

  /** The event types built here (what a filter names). */
  static final String DIAL = "Dial";
  static final String STATE_CHANGE = "ChannelStateChange";
  static final String DIALPLAN = "ChannelDialplan";
  static final String STASIS_START = "StasisStart";
  static final String STASIS_END = "StasisEnd";
  static final String HANGUP_REQUEST = "ChannelHangupRequest";
  static final String DESTROYED = "ChannelDestroyed";

  /** The {@code asterisk_id} as a JSON string, encoded once. */
  private final String asteriskId;

  AriEvents(String asteriskId) {
    this.asteriskId = quoted(asteriskId);
  }

  String dial(long at, String app, SandboxChannel peer, String dialstring, String dialstatus) {
    return start(DIAL, at)
        .append(",\"dialstatus\":").append(quoted(dialstatus))
        .append(",\"forward\":\"\"")
        .append(",\"dialstring\":").append(quoted(dialstring))
        .append(",\"peer\":").append(peer.json())
        .append(finish(app)).toString();
  }

  String stateChange(long at, String app, SandboxChannel channel) {
    return start(STATE_CHANGE, at).append(",\"channel\":").append(channel.json()).append(finish(app))
        .toString();
  }

  /** Published when the channel reaches a new dialplan priority; names the application run there. */
  String dialplan(long at, String app, SandboxChannel channel) {
    return start(DIALPLAN, at)
        .append(",\"channel\":").append(channel.json())
        .append(",\"dialplan_app\":").append(quoted(channel.appName()))
        .append(",\"dialplan_app_data\":").append(quoted(channel.appData()))
        .append(finish(app)).toString();
  }

  String stasisStart(long at, String app, SandboxChannel channel, JsonArray args) {
    return start(STASIS_START, at).append(",\"args\":").append(args.encode())
        .append(",\"channel\":").append(channel.json()).append(finish(app)).toString();
  }

  String stasisEnd(long at, String app, SandboxChannel channel) {
    return start(STASIS_END, at).append(",\"channel\":").append(channel.json()).append(finish(app)).toString();
  }

  /**
   * A hang-up request: {@code soft} is Asterisk's {@code ast_softhangup} (ARI {@code DELETE}), whose
   * {@code cause} is the soft-hangup flag; otherwise it is a queued hang-up from the other party.
   */
  String hangupRequest(long at, String app, SandboxChannel channel, int cause, boolean soft) {
    StringBuilder event = start(HANGUP_REQUEST, at).append(",\"channel\":").append(channel.json())
        .append(",\"cause\":").append(cause);
    if (soft) {
      event.append(",\"soft\":true");
    }
    return event.append(finish(app)).toString();
  }

  String destroyed(long at, String app, SandboxChannel channel, int cause) {
    return start(DESTROYED, at)
        .append(",\"cause\":").append(cause)
        .append(",\"cause_txt\":").append(quoted(HangupCauses.text(cause)))
        .append(",\"channel\":").append(channel.json())
        .append(finish(app)).toString();
  }

  /**
   * Events are written as text: the channel snapshot most of them carry is encoded once per change of the channel
   * (see {@link SandboxChannel#json()}), not built and encoded again for each event.
   */
  private static StringBuilder start(String type, long at) {
    return new StringBuilder(1024).append("{\"type\":").append(quoted(type))
        .append(",\"timestamp\":").append(quoted(AriClock.format(at)));
  }

  private String finish(String app) {
    return ",\"asterisk_id\":" + asteriskId + ",\"application\":" + quoted(app) + "}";
  }

  private static String quoted(String value) {
    return JsonText.quoted(value);
  }
}
