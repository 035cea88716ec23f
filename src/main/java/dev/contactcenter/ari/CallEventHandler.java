package dev.contactcenter.ari;

import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.metrics.CallMetrics;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns ARI events into call state transitions: ringing, answered, and the final state when the channel is
 * destroyed (classified by {@link CallOutcome}). Each transition carries the event's own timestamp.
 */
final class CallEventHandler {

  private static final Logger LOG = LoggerFactory.getLogger(CallEventHandler.class);
  /** The event types {@link #onEvent} acts on; the socket drops the others without parsing them. */
  static final Set<String> HANDLED_EVENTS = Set.of("ChannelStateChange", "Dial", "StasisStart", "ChannelDestroyed",
      "ApplicationReplaced");
  /** The first of the {@code appArgs} we originate with: a StasisStart carrying it is a channel we created. */
  static final String ORIGINATED_ARG = "call";

  /** What to do with a channel this instance does not follow. */
  interface Strangers {
    /** A channel we originated entered the app (answered while we restarted): follow it or hang it up. */
    void originatedEntered(String channelId);

    /** A channel entered the app from the dialplan (already handed back): follow it if it is one of our calls. */
    void dialplanEntered(String channelId);

    /** Asterisk dials a channel of our app that no call follows (an originate given up as unanswered, say). */
    void dialling(String channelId);
  }

  private final Map<String, TrackedCall> calls;
  private final TransitionRecorder recorder;
  private final IvrHandoff ivr;
  private final CallMetrics metrics;
  private final Strangers strangers;
  private final Runnable onApplicationReplaced;

  CallEventHandler(Map<String, TrackedCall> calls, TransitionRecorder recorder, IvrHandoff ivr, CallMetrics metrics,
      Strangers strangers, Runnable onApplicationReplaced) {
    this.calls = calls;
    this.recorder = recorder;
    this.ivr = ivr;
    this.metrics = metrics;
    this.strangers = strangers;
    this.onApplicationReplaced = onApplicationReplaced;
  }

  void onEvent(JsonObject event) {
    String type = AriEvent.type(event);
    metrics.ariEvent(type);
    switch (type) {
      case "ChannelStateChange" -> onStateChange(event);
      case "Dial" -> onDial(event);
      case "StasisStart" -> onStasisStart(event);
      case "ChannelDestroyed" -> onDestroyed(event);
      case "ApplicationReplaced" -> onApplicationReplaced.run();
      default -> {
        // Other events (dialplan steps, caller id, variables, the ;2 half of Local channels) change no call state.
      }
    }
  }

  private void onStateChange(JsonObject event) {
    TrackedCall call = calls.get(AriEvent.channelId(event));
    if (call == null) {
      return;
    }
    switch (AriEvent.channelState(event)) {
      case "Ringing", "Ring" -> advance(call, CallState.RINGING, event);
      case "Up" -> answered(call, event);
      default -> {
      }
    }
  }

  private void onDial(JsonObject event) {
    String channelId = AriEvent.channelId(event);
    TrackedCall call = calls.get(channelId);
    if (call == null) {
      strangers.dialling(channelId);
      return;
    }
    String dialStatus = event.getString("dialstatus", "");
    switch (dialStatus) {
      case "" -> {
      }
      case "RINGING", "PROGRESS" -> advance(call, CallState.RINGING, event);
      case "ANSWER" -> answered(call, event);
      default -> call.dialStatus = dialStatus;
    }
  }

  /**
   * A channel entered our app. The first time for a call we placed, the callee answered: send it to its IVR. A
   * channel that comes from the dialplan (a {@code Stasis()} in the IVR, ours or not) goes straight back to it.
   */
  private void onStasisStart(JsonObject event) {
    String channelId = AriEvent.channelId(event);
    TrackedCall call = calls.get(channelId);
    boolean originated = originatedByUs(event);
    if (call != null && !call.continued && originated) {
      answered(call, event);
      ivr.sendToIvr(call);
    } else if (!originated) {
      ivr.handBack(channelId);
      if (call == null) {
        strangers.dialplanEntered(channelId);
      }
    } else if (call == null) {
      strangers.originatedEntered(channelId);
    }
  }

  /** Our originate puts {@code appArgs=call,<id>}; a dialplan {@code Stasis(app[,args])} never starts with it. */
  private static boolean originatedByUs(JsonObject event) {
    JsonArray args = event.getJsonArray("args");
    return args != null && !args.isEmpty() && ORIGINATED_ARG.equals(args.getValue(0));
  }

  private void answered(TrackedCall call, JsonObject event) {
    Instant at = AriEvent.timestamp(event);
    call.answeredAt(at);
    advance(call, CallState.ANSWERED, event);
  }

  private void onDestroyed(JsonObject event) {
    String channelId = AriEvent.channelId(event);
    TrackedCall call = calls.get(channelId);
    if (call == null) {
      return;
    }
    call.ended = true;
    CallOutcome outcome = CallOutcome.classify(call.answered(), call.hangupRequested, call.dialStatus,
        event.getInteger("cause", 0), event.getString("cause_txt", ""));
    TransitionCommand end = TransitionCommand.of(call.callId, outcome.state(), AriEvent.timestamp(event),
            CallOriginator.SOURCE)
        .withFailure(outcome.failureReason()).withCause(outcome.hangupCause(), outcome.hangupCauseText())
        .withAnsweredAt(call.answeredAt);
    call.queued(outcome.state());
    recorder.record(end).onComplete(done -> calls.remove(call.callId, call));
    LOG.debug("Call {} ended: {}", call.callId, outcome.state().value());
  }

  private void advance(TrackedCall call, CallState state, JsonObject event) {
    if (!call.advances(state)) {
      return;
    }
    call.queued(state);
    recorder.record(TransitionCommand.of(call.callId, state, AriEvent.timestamp(event), CallOriginator.SOURCE));
  }
}
