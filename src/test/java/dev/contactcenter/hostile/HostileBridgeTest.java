package dev.contactcenter.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.BridgeSocket;
import dev.contactcenter.support.LogVolume;
import dev.contactcenter.support.TestApp;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Hostile event-bus bridge clients: bad frames cost them their socket or one short log line, never a flood. */
@DisplayName("Hostile bridge clients: frames before authentication close the socket, bad frames cost one short line")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileBridgeTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  /** The bound the test holds the service to: log characters per hostile socket. */
  static final int LOG_CHARS_PER_SOCKET = 400;

  private TestApp app;
  private Vertx clients;
  private String token;

  @BeforeAll
  void start() throws Exception {
    app = TestApp.start();
    clients = Vertx.vertx();
    token = app.client().login("admin", TestApp.ADMIN_PASSWORD);
  }

  @AfterAll
  void stop() throws Exception {
    clients.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    app.close();
  }

  @Test
  @DisplayName("50 sockets x 50 frames with a 60 KB type holding a newline: each closed, log bounded, nothing forged")
  void unauthenticatedFlood() throws Exception {
    String hugeType = "x\nERROR forged line " + "y".repeat(60_000);
    int sockets = 50;
    try (LogVolume log = LogVolume.attach()) {
      for (int s = 0; s < sockets; s++) {
        try (BridgeSocket socket = BridgeSocket.open(app.app().httpPort(), null)) {
          for (int f = 0; f < 50 && !socket.isClosed(); f++) {
            socket.send(new JsonObject().put("type", hugeType).put("address", "a"));
          }
          assertThat(socket.awaitClosed(WAIT)).isEqualTo((short) 4401);
        }
      }
      Thread.sleep(300);
      System.out.printf("hostile bridge: %d sockets x up to 50 frames of 60 KB; log: %d lines, %d chars%n", sockets,
          log.lines(), log.chars());
      assertThat(log.linesWithLineBreaks()).isZero();
      assertThat(log.errors()).isZero();
      assertThat(log.chars()).isLessThan((long) sockets * LOG_CHARS_PER_SOCKET);
    }
  }

  @Test
  @DisplayName("an authenticated socket sending 500 invalid frames gets invalid_frame answers and one log line")
  void authenticatedGarbage() throws Exception {
    try (LogVolume log = LogVolume.attach();
        BridgeSocket socket = BridgeSocket.open(app.app().httpPort(), token)) {
      for (int f = 0; f < 500; f++) {
        socket.sendText(f % 2 == 0 ? "not json\r\n" + f : new JsonObject().put("type", "evil\n" + f).encode());
      }
      socket.send(new JsonObject().put("type", "ping"));
      socket.await(frame -> "invalid_frame".equals(frame.getString("body")), WAIT, "invalid_frame");
      Thread.sleep(500);
      assertThat(socket.isClosed()).isFalse();
      System.out.printf("hostile bridge: 500 invalid frames on one socket; log: %d lines, %d chars%n", log.lines(),
          log.chars());
      assertThat(log.lines()).isLessThanOrEqualTo(1);
      assertThat(log.linesWithLineBreaks()).isZero();
    }
  }
  @Test
  @DisplayName("20 authenticated sockets cut mid-stream (TCP reset, half a frame) log no ERROR and no stack trace")
  void socketsCutMidStream() throws Exception {
    int sockets = 20;
    try (LogVolume log = LogVolume.attach()) {
      for (int s = 0; s < sockets; s++) {
        try (Socket raw = new Socket("127.0.0.1", app.app().httpPort())) {
          raw.setSoTimeout(10_000);
          OutputStream out = raw.getOutputStream();
          out.write(("GET /eventbus/websocket?access_token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.flush();
          InputStream in = raw.getInputStream();
          readUntil(in, "\r\n\r\n");
          out.write(maskedText(new JsonObject().put("type", "register").put("address", "calls.status.all").encode()));
          out.flush();
          // The bridge's acknowledgement: the socket is registered when it is cut.
          readUntil(in, "registered");
          if (s % 2 == 1) {
            // Half a frame: a length announcing 100 bytes, then 3.
            out.write(new byte[] {(byte) 0x81, (byte) (0x80 | 100), 1, 2, 3, 4, 'a', 'b', 'c'});
            out.flush();
          }
          raw.setSoLinger(true, 0);
        }
      }
      Thread.sleep(1000);
      System.out.printf("hostile bridge: %d sockets reset mid-stream; log: %d lines, %d chars, %d errors%n", sockets,
          log.lines(), log.chars(), log.errors());
      assertThat(log.errors()).isZero();
      assertThat(log.chars()).isLessThan((long) sockets * LOG_CHARS_PER_SOCKET);
    }
    // The bridge still serves a new socket afterwards.
    try (BridgeSocket socket = BridgeSocket.open(app.app().httpPort(), token)) {
      socket.listen("calls.status.all");
    }
  }

  private static void readUntil(InputStream in, String marker) throws Exception {
    StringBuilder seen = new StringBuilder();
    while (seen.indexOf(marker) < 0) {
      int b = in.read();
      assertThat(b).as("the bridge answers with " + marker.strip() + " (so far: " + seen + ")").isNotNegative();
      seen.append((char) b);
    }
  }

  /** One client-to-server WebSocket text frame (masked, as RFC 6455 requires of a client). */
  private static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    assertThat(payload.length).isLessThan(126);
    byte[] mask = {7, 13, 21, 42};
    byte[] frame = new byte[6 + payload.length];
    frame[0] = (byte) 0x81;
    frame[1] = (byte) (0x80 | payload.length);
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < payload.length; i++) {
      frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
    }
    return frame;
  }
}
