package dev.contactcenter.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Starts Vert.x on the clustered event bus with Hazelcast as cluster manager. The only class that names Hazelcast:
 * a single process never loads it, so it starts and weighs exactly as without the dependency.
 */
public final class ClusterNode {

  /** Metadata key under which each node announces its {@code NODE_NAME} to the others. */
  public static final String NODE_NAME_KEY = "node_name";

  /** How often the oldest member looks for another half of a split cluster to merge with. */
  static final int MERGE_CHECK_SECONDS = 5;

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:]+");

  private ClusterNode() {
  }

  /**
   * Joins the cluster described by {@code settings}; {@code builder} makes a Vert.x builder (with metrics, say) from
   * the options, to which the event-bus settings have been added.
   */
  public static Future<Vertx> join(ClusterSettings settings, Function<VertxOptions, VertxBuilder> builder,
      VertxOptions options) {
    VertxOptions clustered = new VertxOptions(options);
    clustered.getEventBusOptions()
        .setHost(settings.busHost())
        .setPort(settings.busPort())
        .setClusterPublicHost(settings.busHost())
        .setClusterNodeMetadata(new JsonObject().put(NODE_NAME_KEY, settings.nodeName()));
    return builder.apply(clustered)
        .withClusterManager(new HazelcastClusterManager(hazelcastConfig(settings)))
        .buildClustered();
  }

  /** Vert.x's own default Hazelcast configuration (its maps and multimaps), made static, named and bound. */
  static Config hazelcastConfig(ClusterSettings settings) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(settings.clusterName());
    config.setInstanceName("cc-" + settings.nodeName() + "-" + settings.port());
    // Phone-home would send usage data to a vendor from production hosts; logs go through our SLF4J set-up.
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    // Vert.x leaves the cluster in its own close(); Hazelcast's JVM hook would race it.
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    // Membership only feeds the event bus (who receives a publication); call ownership does not wait for it, it
    // rests on a PostgreSQL lock. Still, drop a dead member in ~10 s rather than Hazelcast's default 60 s.
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "10");
    // After a network fault split the cluster, look for the other half every 5 s rather than 300 s after start and
    // then every 120 s: until the halves merge, bridge clients miss the other half's transitions and a call whose
    // server is owned there cannot reach its owner (503).
    config.setProperty("hazelcast.merge.first.run.delay.seconds", String.valueOf(MERGE_CHECK_SECONDS));
    config.setProperty("hazelcast.merge.next.run.delay.seconds", String.valueOf(MERGE_CHECK_SECONDS));
    // Bind the member socket to CLUSTER_HOST only, never to every interface.
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.local.localAddress", settings.host());

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(settings.port()).setPortAutoIncrement(false);
    network.setPublicAddress(settings.host() + ":" + settings.port());
    if (IP_LITERAL.matcher(settings.host()).matches()) {
      network.getInterfaces().setEnabled(true).addInterface(settings.host());
    }
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(settings.members());
    return config;
  }
}
