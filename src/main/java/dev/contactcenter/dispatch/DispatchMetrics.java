package dev.contactcenter.dispatch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Dispatch figures on /metrics, per server: queue depth, oldest wait, calls dialled (immediately or from the queue),
 * calls queued, expired in the queue and canceled there.
 */
public final class DispatchMetrics {

  private final MeterRegistry registry;
  private final Map<String, AtomicLong> depth = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> oldestWaitMillis = new ConcurrentHashMap<>();

  public DispatchMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** A call's dial request left: {@code path} is {@code immediate} (capacity was free) or {@code queue}. */
  public void dialed(String server, String path) {
    Counter.builder("contact_center.dispatch.dialed").description("Dial requests sent, by server and path")
        .tag("server", server).tag("path", path).register(registry).increment();
  }

  /** A call was accepted over capacity and stored queued (the API's admission said no). */
  public void queued(String server) {
    Counter.builder("contact_center.dispatch.queued").description("Calls accepted over capacity and queued")
        .tag("server", server).register(registry).increment();
  }

  public void expired(String server, int count) {
    Counter.builder("contact_center.dispatch.expired").description("Queued calls that ended failed (max_queue_seconds)")
        .tag("server", server).register(registry).increment(count);
  }

  public void requeued(String server, int count) {
    Counter.builder("contact_center.dispatch.requeued")
        .description("Calls taken off the queue by a node that stopped before dialling them, put back")
        .tag("server", server).register(registry).increment(count);
  }

  /** The latest figures of a server's queue. */
  public void queue(String server, long queued, double oldestWaitSeconds) {
    gauge(depth, server, "contact_center.dispatch.queue.depth", "Calls waiting in the server's queue").set(queued);
    gauge(oldestWaitMillis, server, "contact_center.dispatch.queue.oldest.wait.ms",
        "How long the oldest due call of the server's queue has waited, milliseconds")
        .set(Math.round(oldestWaitSeconds * 1000));
  }

  private AtomicLong gauge(Map<String, AtomicLong> values, String server, String name, String description) {
    return values.computeIfAbsent(server, s -> {
      AtomicLong value = new AtomicLong();
      Gauge.builder(name, value, AtomicLong::get).description(description).tag("server", s).register(registry);
      return value;
    });
  }
}
