package dev.contactcenter.config;

import dev.contactcenter.cluster.ClusterSettings;
import java.util.Optional;

/** Reads the cluster settings (CLUSTER_*), which only make sense over one shared PostgreSQL. */
final class ClusterConfig {

  private ClusterConfig() {
  }

  static ClusterSettings read(ConfigValues v, Optional<String> databaseUrl) {
    ClusterSettings cluster = ClusterSettings.from(v::string);
    if (cluster.enabled() && databaseUrl.isEmpty()) {
      throw new ConfigException("CLUSTER_ENABLED", "needs DATABASE_URL: all nodes must share one PostgreSQL, "
          + "and the embedded database would be a separate one on each node");
    }
    return cluster;
  }
}
