package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.config.AppConfig;
import dev.contactcenter.config.ConfigException;
import dev.contactcenter.config.ConfigLoader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Cluster settings: CLUSTER_* and NODE_NAME, checked at start with one-line errors")
class ClusterSettingsTest {

  private static final String SECRET = "9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b2d4f6a8c0e";

  private static Map<String, String> clustered() {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", "postgresql://cc:pw@db.example:5432/cc");
    env.put("SECRET_KEY", SECRET);
    env.put("ARI_SANDBOX", "true");
    env.put("CLUSTER_ENABLED", "true");
    env.put("CLUSTER_HOST", "10.0.0.11");
    env.put("CLUSTER_MEMBERS", "10.0.0.11:5701, 10.0.0.12:5701");
    env.put("NODE_NAME", "api-1");
    return env;
  }

  private static String refusal(Map<String, String> env) {
    try {
      ConfigLoader.load(env);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).doesNotContain("\n");
      return e.getMessage();
    }
    throw new AssertionError("accepted: " + env);
  }

  @Test
  @DisplayName("unset, the service is one process named after its host, and a cluster setting alone changes nothing")
  void standaloneByDefault() {
    AppConfig config = ConfigLoader.load(Map.of("CLUSTER_MEMBERS", "not even checked"));
    assertThat(config.cluster().enabled()).isFalse();
    assertThat(config.cluster().nodeNameSet()).isFalse();
    assertThat(config.cluster().nodeName()).isNotBlank().matches("[A-Za-z0-9_.-]{1,64}");
    assertThat(ConfigLoader.load(Map.of("NODE_NAME", "edge-7")).cluster().nodeName()).isEqualTo("edge-7");
  }

  @Test
  @DisplayName("a complete cluster configuration is read whole; the bus host defaults to CLUSTER_HOST, its port to any")
  void readsClusterKeys() {
    ClusterSettings cluster = ConfigLoader.load(clustered()).cluster();
    assertThat(cluster).isEqualTo(new ClusterSettings(true, "api-1", "contact-center", "10.0.0.11", 5701,
        List.of("10.0.0.11:5701", "10.0.0.12:5701"), "10.0.0.11", 0, true, true));
    Map<String, String> pinned = clustered();
    pinned.put("CLUSTER_BALANCE", "false");
    assertThat(ConfigLoader.load(pinned).cluster().balance()).isFalse();
    pinned.put("CLUSTER_BALANCE", "");
    assertThat(ConfigLoader.load(pinned).cluster().balance()).as("empty is the default").isTrue();
    pinned.put("CLUSTER_BALANCE", "sometimes");
    assertThat(refusal(pinned)).startsWith("CLUSTER_BALANCE");
  }

  @Test
  @DisplayName("the embedded database is refused in cluster mode with one clear line")
  void embeddedDatabaseRefused() {
    Map<String, String> env = clustered();
    env.remove("DATABASE_URL");
    assertThat(refusal(env)).startsWith("CLUSTER_ENABLED: needs DATABASE_URL")
        .contains("embedded database would be a separate one on each node");
  }

  @Test
  @DisplayName("cluster mode with a real Asterisk (ARI_HTTP_URL or a server list) is accepted: ownership decides who holds it")
  void realAsteriskAccepted() {
    Map<String, String> env = clustered();
    env.remove("ARI_SANDBOX");
    env.put("ARI_HTTP_URL", "http://127.0.0.1:8088");
    env.put("ARI_USERNAME", "u");
    env.put("ARI_PASSWORD", "p");
    AppConfig single = ConfigLoader.load(env);
    assertThat(single.cluster().enabled()).isTrue();
    assertThat(single.asteriskServers()).extracting(AsteriskServer::name).containsExactly("default");
    env.remove("ARI_HTTP_URL");
    env.put("ASTERISK_SERVERS", "[{\"name\": \"ast-1\", \"ari_url\": \"http://10.0.0.21:8088\", \"username\": \"u\","
        + " \"password\": \"p\"}]");
    assertThat(ConfigLoader.load(env).asteriskServers()).extracting(AsteriskServer::name).containsExactly("ast-1");
  }

  @Test
  @DisplayName("missing or malformed cluster keys are refused, each naming its key")
  void badValuesRefused() {
    Map<String, String> env = clustered();
    env.put("CLUSTER_HOST", "");
    assertThat(refusal(env)).startsWith("CLUSTER_HOST: required");
    env = clustered();
    env.put("CLUSTER_HOST", "0.0.0.0");
    assertThat(refusal(env)).startsWith("CLUSTER_HOST: '0.0.0.0' is not an address");
    env = clustered();
    env.put("CLUSTER_MEMBERS", "");
    assertThat(refusal(env)).startsWith("CLUSTER_MEMBERS: required");
    env = clustered();
    env.put("CLUSTER_MEMBERS", "10.0.0.11:5701,10.0.0.12");
    assertThat(refusal(env)).isEqualTo("CLUSTER_MEMBERS: '10.0.0.12' is not host:port, e.g. 10.0.0.12:5701");
    env = clustered();
    env.put("CLUSTER_MEMBERS", "10.0.0.12:70000");
    assertThat(refusal(env)).startsWith("CLUSTER_MEMBERS: '10.0.0.12:70000'");
    env = clustered();
    env.put("CLUSTER_PORT", "0");
    assertThat(refusal(env)).startsWith("CLUSTER_PORT: '0' is not a TCP port 1-65535");
    env = clustered();
    env.put("CLUSTER_BUS_PORT", "5701");
    assertThat(refusal(env)).startsWith("CLUSTER_BUS_PORT: 5701 is CLUSTER_PORT already");
    env = clustered();
    env.put("CLUSTER_NAME", "prod cluster");
    assertThat(refusal(env)).startsWith("CLUSTER_NAME: 'prod cluster' is invalid");
    env = clustered();
    env.put("CLUSTER_ENABLED", "maybe");
    assertThat(refusal(env)).startsWith("CLUSTER_ENABLED: 'maybe' is not a boolean");
    env = clustered();
    env.put("NODE_NAME", "node/1");
    assertThat(refusal(env)).startsWith("NODE_NAME: 'node/1' is invalid");
  }

  @Test
  @DisplayName("Hazelcast is configured static, named, bound to CLUSTER_HOST, with phone-home off")
  void hazelcastConfiguration() {
    Map<String, String> env = clustered();
    env.put("CLUSTER_NAME", "blue");
    var config = ClusterNode.hazelcastConfig(ConfigLoader.load(env).cluster());
    assertThat(config.getClusterName()).isEqualTo("blue");
    assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
    var network = config.getNetworkConfig();
    assertThat(network.getPort()).isEqualTo(5701);
    assertThat(network.isPortAutoIncrement()).isFalse();
    assertThat(network.getInterfaces().isEnabled()).isTrue();
    assertThat(network.getInterfaces().getInterfaces()).containsExactly("10.0.0.11");
    assertThat(network.getJoin().getMulticastConfig().isEnabled()).isFalse();
    assertThat(network.getJoin().getTcpIpConfig().isEnabled()).isTrue();
    assertThat(network.getJoin().getTcpIpConfig().getMembers()).containsExactly("10.0.0.11:5701", "10.0.0.12:5701");
  }
}
