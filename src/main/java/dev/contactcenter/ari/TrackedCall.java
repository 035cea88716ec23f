package dev.contactcenter.ari;

import dev.contactcenter.calls.CallState;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * What the ARI verticle remembers about a call in progress. Confined to the verticle's event loop (no locks).
 * Its database updates run one after another in event order, while the socket keeps reading.
 */
final class TrackedCall {

  final String callId;
  final String context;
  final String extension;
  final int priority;
  final long trackedAtMillis = System.currentTimeMillis();
  boolean answered;
  boolean hangupRequested;
  boolean continued;
  /** Its ChannelDestroyed was seen: the final transition is queued. */
  boolean ended;
  /** True while the originate request is in flight (events that arrive meanwhile queue behind it). */
  boolean placing;
  String dialStatus = "";
  /** The furthest state already queued, so repeated signals of the same state cost no database round trip. */
  private CallState queued;
  private Future<?> chain;

  TrackedCall(String callId, String context, String extension, int priority, CallState current, Future<?> first) {
    this.callId = callId;
    this.context = context;
    this.extension = extension;
    this.priority = priority;
    this.queued = current;
    this.chain = first;
  }

  /** Notes a state recorded outside the chain (the originate step records dialing itself). */
  void markQueued(CallState state) {
    queued = state;
  }

  /** Whether moving to {@code next} is progress over what is already queued. */
  boolean advances(CallState next) {
    if (queued.isTerminal()) {
      return false;
    }
    return next.isTerminal() || next.ordinal() > queued.ordinal();
  }

  /** Runs {@code step} after every step queued before it, whatever their outcome. */
  void then(CallState state, Supplier<Future<?>> step) {
    queued = state;
    chain = chain.transform(previous -> {
      try {
        return step.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    });
  }

  Future<?> settled() {
    return chain;
  }
}
