package dev.contactcenter.ari;

import dev.contactcenter.calls.CallState;
import java.time.Instant;

/**
 * What the ARI verticle remembers about a call in progress. Confined to the verticle's event loop (no locks).
 * Its transitions are stored one after another in event order by the {@link TransitionRecorder}.
 */
final class TrackedCall {

  final String callId;
  final String context;
  final String extension;
  final int priority;
  final long trackedAtMillis = System.currentTimeMillis();
  /** When the callee answered (from the event), null before: every final transition carries it. */
  Instant answeredAt;
  boolean hangupRequested;
  /** Sent on to its IVR: a later StasisStart is the dialplan's own {@code Stasis()} bringing it back. */
  boolean continued;
  /** Asterisk confirmed the hand-off (or it was found in its dialplan): the call no longer needs our app. */
  boolean inIvr;
  /** Its ChannelDestroyed was seen: the final transition is queued. */
  boolean ended;
  /** True while the originate request is in flight. */
  boolean placing;
  String dialStatus = "";
  /** The furthest state already queued, so repeated signals of the same state cost no database round trip. */
  private CallState queued;

  TrackedCall(String callId, String context, String extension, int priority, CallState current) {
    this.callId = callId;
    this.context = context;
    this.extension = extension;
    this.priority = priority;
    this.queued = current;
  }

  boolean answered() {
    return answeredAt != null;
  }

  void answeredAt(Instant at) {
    if (answeredAt == null) {
      answeredAt = at;
    }
  }

  /** Whether moving to {@code next} is progress over what is already queued. */
  boolean advances(CallState next) {
    if (queued.isTerminal()) {
      return false;
    }
    return next.isTerminal() || next.ordinal() > queued.ordinal();
  }

  void queued(CallState state) {
    queued = state;
  }
}
