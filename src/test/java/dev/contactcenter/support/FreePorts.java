package dev.contactcenter.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Free ports for the servers tests start (HTTP, Hazelcast members, PostgreSQL, Asterisk), and for "nothing listens
 * here" addresses. A port is only known free when it is probed; it is bound later, by another socket or another
 * process. Were it an ephemeral port, any outgoing connection in between (a pool's, a member's) could take it as its
 * source port and the server would fail with "address already in use". So ports come from a block the kernel never
 * picks source ports from: the reserved ports, else below or above the ephemeral range. None is handed out twice in
 * one JVM, so a stopped server's port is never reused while connections to it may linger.
 */
public final class FreePorts {

  private static final int LOWEST = 10_000;
  private static final int HIGHEST = 65_535;
  /** A block smaller than this is not worth choosing from: ports would soon run out or collide. */
  private static final int ENOUGH = 1_000;
  private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  private static final Path RESERVED = Path.of("/proc/sys/net/ipv4/ip_local_reserved_ports");
  private static final Random RANDOM = new Random();
  private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();
  private static final int[] BLOCK = quietBlock();

  private FreePorts() {
  }

  /** A port that nothing listens on now, outside the kernel's choice of source ports where the machine allows it. */
  public static int next() throws IOException {
    for (int attempt = 0; attempt < 500; attempt++) {
      int port = BLOCK[0] + RANDOM.nextInt(BLOCK[1] - BLOCK[0] + 1);
      if (GIVEN.add(port) && bindable(port)) {
        return port;
      }
    }
    throw new IOException("no free port in " + BLOCK[0] + "-" + BLOCK[1] + " after 500 tries");
  }

  /** The block ports come from, as [first, last]. */
  static int[] block() {
    return BLOCK.clone();
  }

  /** Probed on every address: a server on the wildcard address or on loopback both make the port unusable. */
  private static boolean bindable(int port) {
    for (InetAddress address : new InetAddress[] {null, InetAddress.getLoopbackAddress()}) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port), 1);
      } catch (IOException taken) {
        return false;
      }
    }
    return true;
  }

  private static int[] quietBlock() {
    int[] ephemeral = ephemeralRange();
    int[] reserved = largestReservedBlock();
    if (reserved != null && reserved[1] - reserved[0] + 1 >= ENOUGH) {
      return reserved;
    }
    if (ephemeral[0] - LOWEST >= ENOUGH) {
      return new int[] {LOWEST, ephemeral[0] - 1};
    }
    if (HIGHEST - ephemeral[1] >= ENOUGH) {
      return new int[] {ephemeral[1] + 1, HIGHEST};
    }
    // Nothing is outside the range: a collision is then possible (rare; .ci/run reserves a block on such machines).
    System.err.println("FreePorts: the ephemeral range " + ephemeral[0] + "-" + ephemeral[1] + " leaves no block of "
        + ENOUGH + " ports outside it and none is reserved (" + RESERVED + "); a test server may find its port taken");
    return new int[] {LOWEST, HIGHEST};
  }

  /** Linux's ephemeral range; the common default where it cannot be read. */
  private static int[] ephemeralRange() {
    try {
      String[] bounds = procFile(RANGE).split("\\s+");
      return new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1])};
    } catch (IOException | RuntimeException unreadable) {
      return new int[] {32_768, 60_999};
    }
  }

  /**
   * A /proc file's text. Not {@code Files.readString}: it trusts the size /proc reports (0) and on JDK 17 returns
   * one byte ("3" for "32768 60999").
   */
  static String procFile(Path file) throws IOException {
    return String.join("\n", Files.readAllLines(file)).trim();
  }

  /** The largest block in the reserved list ("20000-24999,8080"), or null. */
  private static int[] largestReservedBlock() {
    try {
      int[] best = null;
      for (String part : procFile(RESERVED).split(",")) {
        if (part.isBlank()) {
          continue;
        }
        String[] bounds = part.trim().split("-");
        int first = Math.max(Integer.parseInt(bounds[0]), 1_024);
        int last = Integer.parseInt(bounds[bounds.length - 1]);
        if (last >= first && (best == null || last - first > best[1] - best[0])) {
          best = new int[] {first, last};
        }
      }
      return best;
    } catch (IOException | RuntimeException unreadable) {
      return null;
    }
  }
}
