package dev.contactcenter.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.Optional;

/**
 * The service's metrics: one Prometheus registry per running service (never a global one, so several services in
 * one JVM, as in the tests, do not mix), fed by Vert.x's own metrics SPI (HTTP server, event bus, pools, JVM) and by
 * {@link CallMetrics}. Disabled ({@code METRICS_ENABLED=false}), Vert.x runs without metrics and every meter is a
 * no-op.
 */
public final class ServiceMetrics {

  /** Latency buckets for HTTP responses and originations: enough for SLOs, few enough to keep series cheap. */
  private static final double[] LATENCY_BUCKETS_SECONDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  private static final String HTTP_SERVER_RESPONSE_TIME = "vertx.http.server.response.time";

  private final PrometheusMeterRegistry prometheus;
  private final MeterRegistry registry;
  private final CallMetrics calls;

  private ServiceMetrics(PrometheusMeterRegistry prometheus) {
    this.prometheus = prometheus;
    this.registry = prometheus != null ? prometheus : new CompositeMeterRegistry();
    this.calls = new CallMetrics(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("contact_center_log_lines_dropped", null,
            ignored -> dev.contactcenter.logging.CountingAsyncAppender.dropped())
        .description("Log lines dropped because the log queue was full (logging never blocks an event loop)")
        .register(registry);
  }

  public static ServiceMetrics create(boolean enabled) {
    if (!enabled) {
      return disabled();
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(latencyHistograms());
    return new ServiceMetrics(registry);
  }

  /** Meters that record nothing; {@code /metrics} is not served. */
  public static ServiceMetrics disabled() {
    return new ServiceMetrics(null);
  }

  /** The registry {@code /metrics} renders, when metrics are enabled. */
  public Optional<PrometheusMeterRegistry> prometheus() {
    return Optional.ofNullable(prometheus);
  }

  /** The registry other components add their meters to (a no-op one when metrics are disabled). */
  public MeterRegistry registry() {
    return registry;
  }

  public CallMetrics calls() {
    return calls;
  }

  /** A Vert.x instance reporting to this registry (or without metrics when they are disabled). */
  public Vertx createVertx(VertxOptions options) {
    return builder(options).build();
  }

  /** What {@link #createVertx} builds from, for a caller that must build differently (clustered). */
  public VertxBuilder builder(VertxOptions options) {
    if (prometheus == null) {
      return Vertx.builder().with(options);
    }
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        // Route templates, not raw paths: one series per operation whatever the call ids and numbers.
        .setLabels(java.util.EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.EB_ADDRESS,
            Label.EB_SIDE, Label.POOL_TYPE, Label.POOL_NAME));
    return Vertx.builder()
        .with(new VertxOptions(options).setMetricsOptions(metrics))
        .withMetrics(new MicrometerMetricsFactory(prometheus));
  }

  /** {@code contact_center_node_info{node, cluster}} = 1: which node a scrape came from, and in which cluster. */
  public void describeNode(String nodeName, String clusterName) {
    Gauge.builder("contact_center.node.info", () -> 1)
        .description("Always 1; the labels name this node (NODE_NAME) and its cluster (CLUSTER_NAME, empty alone)")
        .tag("node", nodeName).tag("cluster", clusterName)
        .register(registry);
  }

  private static MeterFilter latencyHistograms() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getName().equals(HTTP_SERVER_RESPONSE_TIME) || id.getName().equals(CallMetrics.ORIGINATION)) {
          double[] nanos = new double[LATENCY_BUCKETS_SECONDS.length];
          for (int i = 0; i < nanos.length; i++) {
            nanos[i] = Duration.ofMillis(Math.round(LATENCY_BUCKETS_SECONDS[i] * 1000)).toNanos();
          }
          return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
        }
        return config;
      }
    };
  }
}
