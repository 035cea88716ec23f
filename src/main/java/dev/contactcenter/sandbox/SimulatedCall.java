package dev.contactcenter.sandbox;

import dev.contactcenter.calls.HangupCauses;
import static dev.contactcenter.sandbox.CallSimulator.NO_TIMER;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated outbound call: the originated channel, the {@code ;2} half when the endpoint is a
 * Local channel, and the steps callee and IVR take, each publishing the events Asterisk 22 publishes
 * for it (see {@code shared/reference/asterisk22-ari-traces.md}).
 *
 * <p>Traps of the real thing are kept on purpose: busy and congestion end with
 * {@code ChannelDestroyed cause=0} and show the outcome only in {@code Dial}; a rejected call says
 * {@code NOANSWER} in {@code Dial}; the IVR's own {@code Hangup()} publishes no
 * {@code ChannelHangupRequest} on the channel; after {@code continue} the application receives the
 * channel's events only if it subscribed to the channel.
 */
final class SimulatedCall {

  private static final Logger LOG = LoggerFactory.getLogger(SimulatedCall.class);

  private enum Phase { DIALING, RINGING, STASIS, DIALPLAN, ENDED }

  private final CallSimulator sim;
  private final AriEvents events;
  private final SandboxChannel channel;
  private final SandboxChannel peer;
  private final String app;
  private final List<String> args;
  private final String dialstring;
  private final CalleeScript outcome;
  private final long dialTimeoutMs;
  private Phase phase = Phase.DIALING;
  private boolean subscribed;
  private long stepTimer = NO_TIMER;
  private long deadlineTimer = NO_TIMER;

  SimulatedCall(CallSimulator sim, Origination origination, int sequence, long now) {
    DialTarget target = origination.target();
    this.sim = sim;
    this.events = sim.events();
    this.app = origination.app();
    this.args = List.copyOf(origination.args());
    this.dialstring = target.resource();
    this.outcome = target.outcome();
    this.dialTimeoutMs = origination.dialTimeoutMs();
    CallerId callerId = origination.callerId();
    // Originate shows the caller id as both caller and connected line of the dialled channel.
    this.channel = new SandboxChannel(origination.channelId(), target.channelName(sequence, 1), now,
        callerId, callerId, SandboxChannel.DOWN)
        .at(target.context(), target.exten(), 1, "AppDial2", "(Outgoing Line)");
    this.peer = !target.isLocal() ? null
        : new SandboxChannel(origination.otherChannelId(), target.channelName(sequence, 2), now,
            callerId, CallerId.EMPTY, SandboxChannel.RING)
            .at(target.context(), target.exten(), 1, outcome.calleeApp(), outcome.calleeAppData());
  }

  String id() {
    return channel.id;
  }

  /** The {@code ;2} half's id, or null for a non-Local endpoint. */
  String peerId() {
    return peer == null ? null : peer.id;
  }

  JsonObject toJson() {
    return channel.toJson();
  }

  /** {@link #toJson()} as text, kept while the channel does not change. */
  String json() {
    return channel.json();
  }

  boolean inStasis() {
    return phase == Phase.STASIS;
  }

  /** Whether {@code application} receives this channel's events now (what {@link #emit} checks). */
  boolean followedBy(String application) {
    return app.equals(application) && phase != Phase.ENDED && (phase != Phase.DIALPLAN || subscribed);
  }

  /** The application subscribed to the channel, so its events keep coming after it leaves Stasis. */
  void subscribe() {
    subscribed = true;
  }

  /** Dials: the first events go out now, the callee's reaction now or later by outcome. */
  void start() {
    long at = sim.nowMs();
    LOG.debug("Channel {} dials {} ({})", channel.id, dialstring, outcome);
    emit(AriEvents.DIAL, () -> events.dial(at, app, channel, dialstring, ""));
    if (peer != null) {
      emit(AriEvents.DIALPLAN, () -> events.dialplan(at, app, peer));
    }
    switch (outcome) {
      case ANSWERED, CALLEE_HANGS_UP, NO_ANSWER -> ring(at);
      case BUSY -> failAtOnce(at, "BUSY", HangupCauses.USER_BUSY);
      case CONGESTION -> failAtOnce(at, "CONGESTION", HangupCauses.CONGESTION);
      case REJECTED -> refuse(at, HangupCauses.CALL_REJECTED);
      case UNALLOCATED -> refuse(at, HangupCauses.UNALLOCATED);
      default -> throw new IllegalStateException("unhandled outcome " + outcome);
    }
  }

  /**
   * Leaves Stasis for the dialplan, where the simulated IVR runs: {@code NoOp}, {@code Answer},
   * {@code Wait}, then {@code Hangup} after the IVR time (the hold time for extension {@code hold}).
   * The route has checked that the channel is in Stasis. Missing arguments default as in Asterisk:
   * no context keeps the current location, a new context starts at {@code s}, priority 1.
   *
   * @param context the context, or null
   * @param extension the extension, or null
   * @param priority the priority, or 0 for the default
   */
  void continueInDialplan(String context, String extension, int priority) {
    String ctx = context != null ? context : channel.context();
    String exten = extension != null ? extension : context == null ? channel.exten() : "s";
    int first = priority > 0 ? priority
        : context == null && extension == null ? channel.priority() + 1 : 1;
    long at = sim.nowMs();
    emit(AriEvents.STASIS_END, () -> events.stasisEnd(at, app, channel));
    phase = Phase.DIALPLAN;
    long ivrMs = "hold".equals(exten) ? sim.timing().holdMs() : sim.timing().ivrMs();
    // The channel moves through the dialplan whether or not anyone receives the events that say so.
    channel.at(ctx, exten, first, "NoOp", "IVR");
    emit(AriEvents.DIALPLAN, () -> events.dialplan(at, app, channel));
    channel.at(ctx, exten, first + 1, "Answer", "");
    emit(AriEvents.DIALPLAN, () -> events.dialplan(at, app, channel));
    channel.at(ctx, exten, first + 2, "Wait", Long.toString(ivrMs / 1000));
    emit(AriEvents.DIALPLAN, () -> events.dialplan(at, app, channel));
    stepTimer = sim.schedule(ivrMs, this::ivrHangsUp);
  }

  /**
   * {@code DELETE /channels/{id}}: Asterisk's soft hang-up (cause 32, soft), then the channel ends
   * with the cause from {@code reason}/{@code reason_code}.
   */
  void hangUpByClient(int cause) {
    long at = sim.nowMs();
    LOG.debug("Channel {} hung up through ARI, cause {}", channel.id, cause);
    emit(AriEvents.HANGUP_REQUEST,
        () -> events.hangupRequest(at, app, channel, HangupCauses.SOFTHANGUP_EXPLICIT, true));
    if (phase == Phase.DIALING || phase == Phase.RINGING) {
      emit(AriEvents.DIAL, () -> events.dial(at, app, channel, dialstring, "NOANSWER"));
    } else if (phase == Phase.STASIS) {
      emit(AriEvents.STASIS_END, () -> events.stasisEnd(at, app, channel));
    }
    if (peer != null) {
      emit(AriEvents.HANGUP_REQUEST, () -> events.hangupRequest(at, app, peer, HangupCauses.NORMAL_CLEARING, false));
    }
    destroy(at, cause, cause);
  }

  /** Ends the call silently because the sandbox stops. */
  void abandon() {
    phase = Phase.ENDED;
    cancelTimers();
  }

  private void ring(long at) {
    phase = Phase.RINGING;
    channel.state(SandboxChannel.RINGING);
    emit(AriEvents.STATE_CHANGE, () -> events.stateChange(at, app, channel));
    emit(AriEvents.DIAL, () -> events.dial(at, app, channel, dialstring, "RINGING"));
    if (outcome.answers()) {
      stepTimer = sim.schedule(sim.timing().ringMs(), this::answer);
    }
    if (dialTimeoutMs != Origination.NO_TIMEOUT) {
      deadlineTimer = sim.schedule(dialTimeoutMs, this::dialTimesOut);
    }
  }

  private void answer() {
    if (phase != Phase.RINGING) {
      return;
    }
    long at = sim.nowMs();
    sim.cancel(deadlineTimer);
    phase = Phase.STASIS;
    channel.state(SandboxChannel.UP);
    emit(AriEvents.STATE_CHANGE, () -> events.stateChange(at, app, channel));
    emit(AriEvents.DIAL, () -> events.dial(at, app, channel, dialstring, "ANSWER"));
    if (peer != null) {
      peer.state(SandboxChannel.UP);
      emit(AriEvents.STATE_CHANGE, () -> events.stateChange(at, app, peer));
    }
    String stasisData = args.isEmpty() ? app : app + "," + String.join(",", args);
    channel.at(channel.context(), channel.exten(), channel.priority(), "Stasis", stasisData);
    emit(AriEvents.STASIS_START, () -> events.stasisStart(at, app, channel, new JsonArray(args)));
    long calleeLeavesMs = outcome == CalleeScript.CALLEE_HANGS_UP
        ? sim.timing().calleeHangupMs() : sim.timing().calleeStayMs();
    deadlineTimer = sim.schedule(calleeLeavesMs, this::calleeHangsUp);
  }

  // Originate timeout: only the ;2 half gets a hang-up request; Dial publishes no final status.
  private void dialTimesOut() {
    if (phase != Phase.RINGING) {
      return;
    }
    long at = sim.nowMs();
    if (peer != null) {
      emit(AriEvents.HANGUP_REQUEST, () -> events.hangupRequest(at, app, peer, HangupCauses.NO_ANSWER, false));
    }
    destroy(at, HangupCauses.NO_ANSWER, HangupCauses.NO_ANSWER);
  }

  // Busy and congestion: the originated channel never rings and dies with cause 0.
  private void failAtOnce(long at, String dialstatus, int calleeCause) {
    if (peer != null) {
      peer.state(SandboxChannel.BUSY);
      emit(AriEvents.STATE_CHANGE, () -> events.stateChange(at, app, peer));
    }
    emit(AriEvents.DIAL, () -> events.dial(at, app, channel, dialstring, dialstatus));
    destroy(at, HangupCauses.UNKNOWN, calleeCause);
  }

  // Hangup(cause) in the callee's dialplan: the cause reaches the channel, Dial says NOANSWER.
  private void refuse(long at, int cause) {
    emit(AriEvents.HANGUP_REQUEST, () -> events.hangupRequest(at, app, channel, cause, false));
    if (peer != null) {
      emit(AriEvents.DESTROYED, () -> events.destroyed(at, app, peer, cause));
    }
    emit(AriEvents.DIAL, () -> events.dial(at, app, channel, dialstring, "NOANSWER"));
    destroy(at, cause, -1);
  }

  private void calleeHangsUp() {
    if (phase != Phase.STASIS && phase != Phase.DIALPLAN) {
      return;
    }
    long at = sim.nowMs();
    emit(AriEvents.HANGUP_REQUEST, () -> events.hangupRequest(at, app, channel, HangupCauses.NORMAL_CLEARING, false));
    if (phase == Phase.STASIS) {
      emit(AriEvents.STASIS_END, () -> events.stasisEnd(at, app, channel));
    }
    destroy(at, HangupCauses.NORMAL_CLEARING, HangupCauses.NORMAL_CLEARING);
  }

  private void ivrHangsUp() {
    if (phase != Phase.DIALPLAN) {
      return;
    }
    long at = sim.nowMs();
    channel.at(channel.context(), channel.exten(), channel.priority() + 1, "Hangup", "");
    emit(AriEvents.DIALPLAN, () -> events.dialplan(at, app, channel));
    if (peer != null) {
      emit(AriEvents.HANGUP_REQUEST, () -> events.hangupRequest(at, app, peer, HangupCauses.NORMAL_CLEARING, false));
    }
    destroy(at, HangupCauses.NORMAL_CLEARING, HangupCauses.NORMAL_CLEARING);
  }

  /** Publishes {@code ChannelDestroyed} (for the {@code ;2} half too unless its cause is negative). */
  private void destroy(long at, int cause, int peerCause) {
    emit(AriEvents.DESTROYED, () -> events.destroyed(at, app, channel, cause));
    if (peer != null && peerCause >= 0) {
      emit(AriEvents.DESTROYED, () -> events.destroyed(at, app, peer, peerCause));
    }
    phase = Phase.ENDED;
    cancelTimers();
    sim.ended(this);
    LOG.debug("Channel {} destroyed, cause {}", channel.id, cause);
  }

  private void cancelTimers() {
    sim.cancel(stepTimer);
    sim.cancel(deadlineTimer);
    stepTimer = NO_TIMER;
    deadlineTimer = NO_TIMER;
  }

  /** @param event built only if the application's socket takes events of this type */
  private void emit(String type, Supplier<String> event) {
    // After continue, Asterisk sends the channel's events only to an application subscribed to it.
    if (phase == Phase.DIALPLAN && !subscribed) {
      return;
    }
    sim.streams().send(app, type, event);
  }
}
