package dev.contactcenter.config;

import dev.contactcenter.cluster.AsteriskServer;
import dev.contactcenter.cluster.ClusterSettings;
import dev.contactcenter.dispatch.DispatchSettings;
import dev.contactcenter.retention.RetentionSettings;
import dev.contactcenter.webhooks.WebhookSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The service's validated, immutable configuration. Built once at start by {@link ConfigLoader};
 * every component receives what it needs from here, nothing reads the environment on its own.
 */
public record AppConfig(
    String httpHost,
    int httpPort,
    int httpInstances,
    int eventLoops,
    int maxBodyBytes,
    List<String> corsAllowedOrigins,
    boolean trustProxyHeaders,
    Optional<String> databaseUrl,
    int databasePoolSize,
    Path dataDir,
    Optional<String> secretKey,
    String jwtIssuer,
    String jwtAudience,
    int accessTokenTtlSeconds,
    Optional<String> adminPassword,
    int bcryptCost,
    int tokenRateLimit,
    int tokenRateWindowSeconds,
    Optional<String> ariHttpUrl,
    String ariUsername,
    String ariPassword,
    String ariApp,
    String ariEndpointTemplate,
    int ariRequestTimeoutMs,
    String defaultContext,
    String defaultExtension,
    int defaultPriority,
    int defaultTimeoutMs,
    Optional<String> defaultCallerId,
    boolean metricsEnabled,
    Optional<String> metricsToken,
    double sandboxTimeScale,
    ClusterSettings cluster,
    List<AsteriskServer> asteriskServers,
    WebhookSettings webhooks,
    EdgeSettings edge,
    int shutdownGraceSeconds,
    DispatchSettings dispatch,
    RetentionSettings retention,
    DatabasePoolSettings databasePool) {

  /** True when calls go to the built-in ARI sandbox instead of a real Asterisk. */
  public boolean sandboxMode() {
    return ariHttpUrl.isEmpty() && asteriskServers.isEmpty();
  }

  /**
   * Event-loop threads: EVENT_LOOPS, or one per two cores (at least one). A call crosses the HTTP, persistence and ARI
   * verticles several times, and each crossing between two threads costs a wake-up; the persistence verticle and each
   * server's ARI verticle are single instances, so threads beyond them add little but those wake-ups. On 2 cores
   * shared with PostgreSQL and Asterisk, one loop instead of Vert.x's default of four measured 22 % less of the
   * service's CPU per busy call (answered calls: within the runs' noise; docs/PERFORMANCE.md).
   */
  public int effectiveEventLoops() {
    return eventLoops > 0 ? eventLoops : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  /** HTTP verticle instances: HTTP_INSTANCES, or one per event loop. */
  public int effectiveHttpInstances() {
    return httpInstances > 0 ? httpInstances : effectiveEventLoops();
  }

  /** True when no DATABASE_URL is set and the service runs its own PostgreSQL under DATA_DIR. */
  public boolean embeddedDatabase() {
    return databaseUrl.isEmpty();
  }

  public AppConfig withSecretKey(String key) {
    return new AppConfig(httpHost, httpPort, httpInstances, eventLoops, maxBodyBytes, corsAllowedOrigins,
        trustProxyHeaders, databaseUrl, databasePoolSize, dataDir, Optional.of(key), jwtIssuer, jwtAudience, accessTokenTtlSeconds,
        adminPassword, bcryptCost, tokenRateLimit, tokenRateWindowSeconds, ariHttpUrl, ariUsername, ariPassword, ariApp,
        ariEndpointTemplate, ariRequestTimeoutMs, defaultContext, defaultExtension, defaultPriority, defaultTimeoutMs,
        defaultCallerId, metricsEnabled, metricsToken,
        sandboxTimeScale, cluster, asteriskServers, webhooks, edge, shutdownGraceSeconds,
        dispatch, retention, databasePool);
  }
}
