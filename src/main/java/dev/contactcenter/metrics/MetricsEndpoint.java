package dev.contactcenter.metrics;

import dev.contactcenter.http.Problems;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * {@code GET /metrics} in the Prometheus text format, only when metrics are enabled. With {@code METRICS_TOKEN} set,
 * a scrape must send {@code Authorization: Bearer <token>} (Prometheus: {@code authorization.credentials}); without
 * it the endpoint is open, and the operator keeps it off the public network (docs/PRODUCTION.md).
 */
public final class MetricsEndpoint {

  public static final String PATH = "/metrics";

  private MetricsEndpoint() {
  }

  /** Mounts the endpoint on {@code router} when metrics are enabled; does nothing otherwise (404). */
  public static void mount(Router router, ServiceMetrics metrics, Optional<String> token) {
    Optional<PrometheusMeterRegistry> registry = metrics.prometheus();
    if (registry.isEmpty()) {
      return;
    }
    var route = router.get(PATH);
    token.ifPresent(expected -> route.handler(rc -> requireToken(rc, expected)));
    route.handler(PrometheusScrapingHandler.create(registry.get()));
  }

  private static void requireToken(RoutingContext rc, String expected) {
    String header = rc.request().getHeader("Authorization");
    String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
    if (MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
      rc.next();
      return;
    }
    rc.response().putHeader("WWW-Authenticate", "Bearer realm=\"metrics\"");
    Problems.send(rc, 401, "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>");
  }
}
