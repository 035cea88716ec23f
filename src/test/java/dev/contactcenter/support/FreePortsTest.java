package dev.contactcenter.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Free ports for test servers")
class FreePortsTest {

  @Test
  @DisplayName("200 ports: all distinct, bindable on loopback, inside the block, outside the ephemeral range"
      + " when the machine leaves room")
  void portsAreDistinctBindableAndOutsideTheEphemeralRange() throws Exception {
    int[] block = FreePorts.block();
    String[] range = FreePorts.procFile(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).split("\\s+");
    int low = Integer.parseInt(range[0]);
    int high = Integer.parseInt(range[1]);
    boolean roomOutside = low - 10_000 >= 1_000 || 65_535 - high >= 1_000
        || !FreePorts.procFile(Path.of("/proc/sys/net/ipv4/ip_local_reserved_ports")).isBlank();
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = FreePorts.next();
      assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
      assertThat(port).isBetween(block[0], block[1]);
      if (roomOutside) {
        assertThat(port < low || port > high || reserved(port)).as("port %d outside %d-%d", port, low, high).isTrue();
      }
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertThat(socket.getLocalPort()).isEqualTo(port);
      }
    }
  }

  private static boolean reserved(int port) throws Exception {
    for (String part : FreePorts.procFile(Path.of("/proc/sys/net/ipv4/ip_local_reserved_ports")).split(",")) {
      String[] bounds = part.trim().split("-");
      if (!part.isBlank() && port >= Integer.parseInt(bounds[0]) && port <= Integer.parseInt(bounds[bounds.length - 1])) {
        return true;
      }
    }
    return false;
  }
}
