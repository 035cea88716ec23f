package dev.contactcenter.dispatch;

import dev.contactcenter.cluster.AsteriskServer;
import dev.contactcenter.config.AppConfig;
import io.vertx.core.eventbus.EventBus;

/** Where the dispatch parts meet the configuration. */
public final class Dispatch {

  private Dispatch() {
  }

  /** A server's limits: its entry in the server list, else (the ARI_* server, the sandbox) the ARI_MAX_* ones. */
  public static DispatchLimits limitsOf(AppConfig config, String server) {
    return config.asteriskServers().stream().filter(s -> s.name().equals(server)).findFirst()
        .map(AsteriskServer::limits)
        .orElse(AsteriskServer.DEFAULT_NAME.equals(server) ? config.dispatch().shorthandLimits() : DispatchLimits.NONE);
  }

  public static Admission admission(EventBus bus, AppConfig config) {
    return new Admission(bus, server -> limitsOf(config, server), config.dispatch().retryDefaults());
  }
}
