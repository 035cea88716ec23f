package dev.contactcenter.support;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A client of the event-bus bridge speaking its JSON frame protocol over SockJS's raw WebSocket endpoint
 * ({@code /eventbus/websocket}), as a non-browser client would: every frame received is kept, in order, for asserts.
 * Blocking helpers: call them from the test thread, never an event loop.
 *
 * <p>The JDK's WebSocket client, not Vert.x's: its listener is given before the handshake, so a server that answers
 * the upgrade and at once sends its {@code err} frame and closes (a refused token) is always heard. Vert.x's
 * {@code ClientWebSocket} attaches its handlers only when the connect future completes, on another thread than the
 * connection's: when the close had already been processed, attaching them threw "WebSocket is closed" (seen under
 * load), and a frame received before them was lost.
 */
public final class BridgeSocket implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final List<JsonObject> frames = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Short> closed = new CompletableFuture<>();
  private WebSocket socket;

  private BridgeSocket() {
  }

  /** Opens a socket; {@code token} goes in the URL as {@code access_token} unless null. */
  public static BridgeSocket open(int port, String token) throws Exception {
    String uri = "ws://127.0.0.1:" + port + "/eventbus/websocket"
        + (token == null ? "" : "?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    BridgeSocket bridge = new BridgeSocket();
    bridge.socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .buildAsync(URI.create(uri), bridge.new Listener()).get(10, TimeUnit.SECONDS);
    return bridge;
  }

  /** Keeps each message (the raw endpoint answers in binary messages, each one JSON frame) and the close code. */
  private final class Listener implements WebSocket.Listener {
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final StringBuilder partialText = new StringBuilder();

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      partial.writeBytes(bytes);
      if (last) {
        frames.add(new JsonObject(partial.toString(StandardCharsets.UTF_8)));
        partial.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partialText.append(data);
      if (last) {
        frames.add(new JsonObject(partialText.toString()));
        partialText.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete((short) statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      // The connection ended without a close frame: no status code, as Vert.x reported it.
      closed.complete(null);
    }
  }

  public void send(JsonObject frame) {
    sendText(frame.encode());
  }

  /** Sends one text message and waits until it is written; on a socket the server closed it is dropped. */
  public void sendText(String text) {
    try {
      socket.sendText(text, true).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // Closed by the server meanwhile: the tests assert what the server did, not this write.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("a frame could not be written within 10 s", e);
    }
  }

  public void register(String address) {
    send(new JsonObject().put("type", "register").put("address", address));
  }

  /** A register frame that authenticates the socket, as the dashboard sends it. */
  public void register(String address, String token) {
    send(new JsonObject().put("type", "register").put("address", address)
        .put("headers", new JsonObject().put("Authorization", "Bearer " + token)));
  }

  /** Registers and waits for the bridge's acknowledgement: from then on the socket receives the address's messages. */
  public void listen(String address) throws InterruptedException {
    register(address);
    awaitRegistered(address);
  }

  /** {@link #listen(String)}, authenticating the socket with this first frame. */
  public void listen(String address, String token) throws InterruptedException {
    register(address, token);
    awaitRegistered(address);
  }

  private void awaitRegistered(String address) throws InterruptedException {
    JsonObject ack = new JsonObject().put("type", "registered").put("body", address);
    await(ack::equals, Duration.ofSeconds(10), "acknowledgement of " + address);
  }

  public List<JsonObject> frames() {
    return List.copyOf(frames);
  }

  /** The first frame received (now or within {@code timeout}) that matches; fails the test otherwise. */
  public JsonObject await(Predicate<JsonObject> matching, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      for (JsonObject frame : frames) {
        if (matching.test(frame)) {
          return frame;
        }
      }
      Thread.sleep(20);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("no " + what + " within " + timeout + "; frames: " + frames);
  }

  /** The first {@code err} frame with this body. */
  public JsonObject awaitError(String body, Duration timeout) throws InterruptedException {
    return await(f -> "err".equals(f.getString("type")) && body.equals(f.getString("body")), timeout, "err " + body);
  }

  /** The first {@code rec} frame for the call reaching {@code status}. */
  public JsonObject awaitStatus(String callId, String status, Duration timeout) throws InterruptedException {
    return await(f -> "rec".equals(f.getString("type")) && f.getJsonObject("body") != null
        && callId.equals(f.getJsonObject("body").getString("call_id"))
        && status.equals(f.getJsonObject("body").getString("status")), timeout, "call " + callId + " " + status);
  }

  /** Every {@code rec} frame received so far that names the call. */
  public List<JsonObject> received(String callId) {
    return frames.stream().filter(f -> "rec".equals(f.getString("type")) && f.getJsonObject("body") != null
        && callId.equals(f.getJsonObject("body").getString("call_id"))).toList();
  }

  /** Waits for the server to close the socket; returns the close status code. */
  public Short awaitClosed(Duration timeout) throws Exception {
    return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() throws Exception {
    if (!closed.isDone()) {
      try {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        // Closed by the server meanwhile.
      }
    }
    // Both close frames exchanged, the connection ends cleanly; aborting it earlier made the server log the
    // broken connection as an error (HostileBridgeTest counts those).
    try {
      closed.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      socket.abort();
    }
  }
}
