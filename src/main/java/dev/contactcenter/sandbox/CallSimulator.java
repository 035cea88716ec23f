package dev.contactcenter.sandbox;

import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The live simulated calls and what they share: timing, clock, event factory and event streams.
 *
 * <p>Everything runs on the event loop of the sandbox verticle, so nothing here is locked. A call
 * costs a few small objects and at most two pending timers, which keeps 10,000 concurrent calls cheap.
 */
final class CallSimulator {

  static final long NO_TIMER = -1;

  private final Context context;
  private final SandboxTiming timing;
  private final AriClock clock;
  private final AriEvents events;
  private final EventStreams streams;
  private final Map<String, SimulatedCall> calls = new LinkedHashMap<>();
  private int sequence;

  CallSimulator(Context context, SandboxTiming timing, AriClock clock, AriEvents events,
      EventStreams streams) {
    this.context = context;
    this.timing = timing;
    this.clock = clock;
    this.events = events;
    this.streams = streams;
  }

  /** Registers the call; the caller answers the HTTP request, then calls {@link SimulatedCall#start()}. */
  SimulatedCall create(Origination origination) {
    SimulatedCall call = new SimulatedCall(this, origination, ++sequence, clock.nowMs());
    calls.put(call.id(), call);
    return call;
  }

  SimulatedCall find(String channelId) {
    return calls.get(channelId);
  }

  Collection<SimulatedCall> live() {
    return calls.values();
  }

  /**
   * Runs a step of a call after a nominal delay, scaled. A delay that scales to 0 still runs later on
   * the event loop, never inline, so each channel's steps keep their order. Returns the timer to
   * cancel, or {@link #NO_TIMER} for an immediate step (which the call guards by its phase instead).
   */
  long schedule(long nominalMs, Runnable step) {
    long delay = timing.scaled(nominalMs);
    if (delay <= 0) {
      context.runOnContext(v -> step.run());
      return NO_TIMER;
    }
    return context.owner().setTimer(delay, id -> step.run());
  }

  void cancel(long timerId) {
    if (timerId != NO_TIMER) {
      context.owner().cancelTimer(timerId);
    }
  }

  void ended(SimulatedCall call) {
    calls.remove(call.id());
  }

  /** Stops every call without events: the sandbox is going away. */
  void shutdown() {
    List<SimulatedCall> all = new ArrayList<>(calls.values());
    all.forEach(SimulatedCall::abandon);
    calls.clear();
  }

  SandboxTiming timing() {
    return timing;
  }

  long nowMs() {
    return clock.nowMs();
  }

  AriEvents events() {
    return events;
  }

  EventStreams streams() {
    return streams;
  }
}
