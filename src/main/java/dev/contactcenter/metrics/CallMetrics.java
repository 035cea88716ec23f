package dev.contactcenter.metrics;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.calls.CallState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The product's own meters (Prometheus names in brackets):
 * <ul>
 *   <li>calls handed to Asterisk, by result [{@code contact_center_calls_originated_total{result}}]: {@code accepted},
 *       {@code refused} (Asterisk said no), {@code unavailable} (no answer or not connected);</li>
 *   <li>calls that reached a final status [{@code contact_center_calls_finished_total{status}}], counted from the
 *       accepted transitions published on {@code calls.status.ended}, so exactly once per call whatever settled it;</li>
 *   <li>ARI events received, by type [{@code contact_center_ari_events_total{type}}], and frames of types the call
 *       path does not read, dropped unparsed [{@code contact_center_ari_events_ignored_total}]: these stay at 0 while
 *       Asterisk applies our event filter;</li>
 *   <li>whether the ARI events WebSocket is connected [{@code contact_center_ari_connected}, 1 or 0], and per
 *       Asterisk server this node has owned [{@code contact_center_ari_server_connected{server}}];</li>
 *   <li>times Asterisk gave our app's events to another client [{@code contact_center_ari_application_replaced_total}];</li>
 *   <li>servers this node handed to another for balance [{@code contact_center_ownership_handovers_total{server}}];</li>
 *   <li>how long Asterisk took to accept or refuse an originate [{@code contact_center_origination_seconds}].</li>
 * </ul>
 */
public final class CallMetrics {

  static final String ORIGINATION = "contact_center.origination";
  private static final Pattern EVENT_TYPE = Pattern.compile("[A-Za-z]{1,48}");
  /** ARI has a few dozen event types; whatever else a peer sends is counted without being remembered. */
  private static final int MAX_CACHED_EVENT_TYPES = 128;

  private final MeterRegistry registry;
  private final AtomicInteger ariConnected = new AtomicInteger();
  private final Map<String, AtomicInteger> ariServerConnected = new ConcurrentHashMap<>();
  /**
   * Meters looked up once per tag value: building and registering a meter is a builder, a tag list and a registry
   * lookup, and these are counted several times per call (each ARI event, each originate, each final status).
   */
  private final Map<String, Counter> eventCounters = new ConcurrentHashMap<>();
  private final Counter ignoredEvents;
  private final Map<String, Counter> originatedCounters = new ConcurrentHashMap<>();
  private final Map<String, Timer> originationTimers = new ConcurrentHashMap<>();
  private final Map<String, Counter> finishedCounters = new ConcurrentHashMap<>();

  CallMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("contact_center.ari.connected", ariConnected, AtomicInteger::get)
        .description("1 while the ARI events WebSocket is connected, else 0")
        .register(registry);
    // Every series exists from the start, so rates and alerts work before the first call.
    applicationReplacedCounter();
    ignoredEvents = Counter.builder("contact_center.ari.events.ignored")
        .description("ARI event frames of types the call path does not read (0 while the event filter is in force)")
        .register(registry);
    for (String result : new String[] {"accepted", "refused", "unavailable"}) {
      originatedCounter(result);
    }
    for (CallState state : CallState.values()) {
      if (state.isTerminal()) {
        finishedCounter(state.value());
      }
    }
  }

  /** An originate answered by Asterisk (or not) after {@code nanos}; {@code result} as in the class comment. */
  public void originated(String result, long nanos) {
    originatedCounter(result).increment();
    originationTimers.computeIfAbsent(result, tag -> Timer.builder(ORIGINATION)
            .description("Time Asterisk took to accept or refuse an originate request").tag("result", tag)
            .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A call refused before any request went to Asterisk (its events could not be followed). */
  public void notOriginated() {
    originatedCounter("unavailable").increment();
  }

  public void ariEvent(String type) {
    Counter counter = type == null ? null : eventCounters.get(type);
    if (counter == null) {
      String tag = type != null && EVENT_TYPE.matcher(type).matches() ? type : "other";
      counter = Counter.builder("contact_center.ari.events").description("ARI events received on the events WebSocket")
          .tag("type", tag).register(registry);
      if (type != null && eventCounters.size() < MAX_CACHED_EVENT_TYPES) {
        eventCounters.put(type, counter);
      }
    }
    counter.increment();
  }

  /** A frame of a type the call path does not read arrived, and was dropped. */
  public void ariEventIgnored() {
    ignoredEvents.increment();
  }

  /** Asterisk sent ApplicationReplaced: another client now receives our app's events. */
  public void ariApplicationReplaced() {
    applicationReplacedCounter().increment();
  }

  private Counter applicationReplacedCounter() {
    return Counter.builder("contact_center.ari.application.replaced")
        .description("ApplicationReplaced events: another client registered our ARI application").register(registry);
  }

  public void ariConnected(boolean connected) {
    ariConnected.set(connected ? 1 : 0);
  }

  /** The same, and for the one server: 1 while this node follows its events, 0 once it lost them or the server. */
  public void ariConnected(String server, boolean connected) {
    ariConnected(connected);
    ariServerConnected.computeIfAbsent(server, name -> {
      AtomicInteger value = new AtomicInteger();
      Gauge.builder("contact_center.ari.server.connected", value, AtomicInteger::get)
          .description("1 while this node follows the Asterisk server's ARI events, else 0")
          .tag("server", name).register(registry);
      return value;
    }).set(connected ? 1 : 0);
  }

  /** This node handed {@code server} over to another node (the ownership balance). */
  public void handedOver(String server) {
    Counter.builder("contact_center.ownership.handovers").description("Servers this node handed to another node")
        .tag("server", server).register(registry).increment();
  }

  /** Counts final statuses from the service's own publications; returns the consumer to unregister on stop. */
  public MessageConsumer<JsonObject> countFinalStatuses(EventBus bus) {
    return bus.<JsonObject>localConsumer(EventBusAddresses.CALL_STATUS_ENDED, msg -> {
      String status = msg.body().getString("status");
      if (status != null && CallState.isValid(status) && CallState.of(status).isTerminal()) {
        finishedCounter(status).increment();
      }
    });
  }

  private Counter originatedCounter(String result) {
    return originatedCounters.computeIfAbsent(result, tag -> Counter.builder("contact_center.calls.originated")
        .description("Originate requests, by result: accepted, refused (by Asterisk), unavailable")
        .tag("result", tag).register(registry));
  }

  private Counter finishedCounter(String status) {
    return finishedCounters.computeIfAbsent(status, tag -> Counter.builder("contact_center.calls.finished")
        .description("Calls that reached a final status").tag("status", tag).register(registry));
  }
}
