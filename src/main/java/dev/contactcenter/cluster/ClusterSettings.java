package dev.contactcenter.cluster;

import dev.contactcenter.config.ConfigException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * How this node joins the cluster ({@code CLUSTER_*}) and what it calls itself ({@code NODE_NAME}). Disabled, the
 * service is one plain process and none of the other values matter.
 *
 * @param enabled     {@code CLUSTER_ENABLED}: join the clustered event bus through Hazelcast
 * @param nodeName    {@code NODE_NAME}: shown in logs, {@code /health} and {@code /metrics}; default the host name
 * @param clusterName {@code CLUSTER_NAME}: members of another name never join, so two deployments never merge
 * @param host        {@code CLUSTER_HOST}: the address Hazelcast binds and announces for this node
 * @param port        {@code CLUSTER_PORT}: Hazelcast's member port on {@link #host}
 * @param members     {@code CLUSTER_MEMBERS}: the static member list, {@code host:port} each (no multicast)
 * @param busHost     {@code CLUSTER_BUS_HOST}: where the event bus listens for other nodes; default {@link #host}
 * @param busPort     {@code CLUSTER_BUS_PORT}: its port; 0 picks a free one, announced to members through Hazelcast
 * @param nodeNameSet whether NODE_NAME was given (else {@link #nodeName} is the host name)
 * @param balance     {@code CLUSTER_BALANCE} (default true): spread the servers' ownership over the nodes, handing a
 *                    server over when a node owns two or more above another; false keeps whoever took it first
 */
public record ClusterSettings(boolean enabled, String nodeName, String clusterName, String host, int port,
    List<String> members, String busHost, int busPort, boolean nodeNameSet, boolean balance) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]+]");

  /** A single process: what every deployment without {@code CLUSTER_ENABLED} is. */
  public static ClusterSettings standalone(String nodeName, boolean nodeNameSet) {
    return new ClusterSettings(false, nodeName, "", "", 0, List.of(), "", 0, nodeNameSet, false);
  }

  /**
   * Reads and checks the {@code CLUSTER_*} keys and {@code NODE_NAME}; {@code value} gives a key's trimmed value, ""
   * when unset. Every failure is a {@link ConfigException} naming the key, on one line.
   */
  public static ClusterSettings from(Function<String, String> value) {
    String nodeName = value.apply("NODE_NAME");
    boolean nodeNameSet = !nodeName.isEmpty();
    if (!nodeNameSet) {
      nodeName = localHostName();
    } else if (!NAME.matcher(nodeName).matches()) {
      throw new ConfigException("NODE_NAME", "'" + nodeName + "' is invalid: letters, digits, '_', '.', '-' (1-64)");
    }
    if (!bool(value, "CLUSTER_ENABLED", false)) {
      return standalone(nodeName, nodeNameSet);
    }
    String clusterName = value.apply("CLUSTER_NAME");
    if (!NAME.matcher(clusterName).matches()) {
      throw new ConfigException("CLUSTER_NAME",
          "'" + clusterName + "' is invalid: letters, digits, '_', '.', '-' (1-64), the same on every node");
    }
    String host = value.apply("CLUSTER_HOST");
    if (host.isEmpty()) {
      throw new ConfigException("CLUSTER_HOST", "required when CLUSTER_ENABLED=true: this node's address that the "
          + "other members reach, e.g. 10.0.0.11");
    }
    checkHost("CLUSTER_HOST", host);
    int port = port(value, "CLUSTER_PORT", false);
    String membersRaw = value.apply("CLUSTER_MEMBERS");
    List<String> members = membersRaw.isEmpty() ? List.of()
        : Arrays.stream(membersRaw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (members.isEmpty()) {
      throw new ConfigException("CLUSTER_MEMBERS", "required when CLUSTER_ENABLED=true: the nodes' host:port list, "
          + "e.g. 10.0.0.11:5701,10.0.0.12:5701 (the same list on every node)");
    }
    members.forEach(ClusterSettings::checkMember);
    String busHost = value.apply("CLUSTER_BUS_HOST");
    if (busHost.isEmpty()) {
      busHost = host;
    }
    checkHost("CLUSTER_BUS_HOST", busHost);
    int busPort = port(value, "CLUSTER_BUS_PORT", true);
    if (busPort != 0 && busPort == port && busHost.equals(host)) {
      throw new ConfigException("CLUSTER_BUS_PORT", busPort + " is CLUSTER_PORT already; pick another port or 0");
    }
    boolean balance = bool(value, "CLUSTER_BALANCE", true);
    return new ClusterSettings(true, nodeName, clusterName, host, port, members, busHost, busPort, nodeNameSet,
        balance);
  }

  private static void checkMember(String member) {
    int colon = member.lastIndexOf(':');
    String host = colon > 0 ? member.substring(0, colon) : "";
    String port = colon > 0 ? member.substring(colon + 1) : "";
    boolean ok = HOST.matcher(host).matches() && port.matches("[0-9]{1,5}")
        && Integer.parseInt(port) >= 1 && Integer.parseInt(port) <= 65535;
    if (!ok) {
      throw new ConfigException("CLUSTER_MEMBERS", "'" + member + "' is not host:port, e.g. 10.0.0.12:5701");
    }
  }

  private static void checkHost(String key, String host) {
    if (!HOST.matcher(host).matches() || host.equals("0.0.0.0") || host.equals("::")) {
      throw new ConfigException(key, "'" + host + "' is not an address the other members can reach "
          + "(a host name or IP, not a wildcard)");
    }
  }

  private static int port(Function<String, String> value, String key, boolean zeroAllowed) {
    String raw = value.apply(key);
    int min = zeroAllowed ? 0 : 1;
    try {
      int port = Integer.parseInt(raw);
      if (port >= min && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // Reported below with the expected form.
    }
    throw new ConfigException(key, "'" + raw + "' is not a TCP port " + min + "-65535");
  }

  /** An empty value is the default, as an unset one is. */
  private static boolean bool(Function<String, String> value, String key, boolean unset) {
    String raw = value.apply(key).toLowerCase();
    return switch (raw) {
      case "" -> unset;
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new ConfigException(key, "'" + raw + "' is not a boolean (true/false)");
    };
  }

  private static String localHostName() {
    String fromEnv = System.getenv("HOSTNAME");
    if (fromEnv != null && NAME.matcher(fromEnv).matches()) {
      return fromEnv;
    }
    try {
      String name = Files.readString(Path.of("/etc/hostname")).trim();
      if (NAME.matcher(name).matches()) {
        return name;
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or no such file: ask the resolver.
    }
    try {
      String name = InetAddress.getLocalHost().getHostName();
      return NAME.matcher(name).matches() ? name : "node";
    } catch (UnknownHostException e) {
      return "node";
    }
  }
}
