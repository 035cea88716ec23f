package dev.contactcenter.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A client of the event-bus bridge speaking its JSON frame protocol over SockJS's raw WebSocket endpoint
 * ({@code /eventbus/websocket}), as a non-browser client would: every frame received is kept, in order, for asserts.
 * Blocking helpers: call them from the test thread, never an event loop.
 */
public final class BridgeSocket implements AutoCloseable {

  private final WebSocketClient client;
  private final ClientWebSocket socket;
  private final List<JsonObject> frames = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Short> closed = new CompletableFuture<>();

  private BridgeSocket(WebSocketClient client) {
    this.client = client;
    this.socket = client.webSocket();
    // The raw endpoint answers in binary WebSocket messages; each one is one JSON frame.
    socket.handler(data -> frames.add(new JsonObject(data.toString())));
    socket.closeHandler(v -> closed.complete(socket.closeStatusCode()));
  }

  /** Opens a socket; {@code token} goes in the URL as {@code access_token} unless null. */
  public static BridgeSocket open(Vertx vertx, int port, String token) throws Exception {
    String uri = "/eventbus/websocket"
        + (token == null ? "" : "?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
    BridgeSocket bridge = new BridgeSocket(vertx.createWebSocketClient());
    bridge.socket.connect(port, "127.0.0.1", uri).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return bridge;
  }

  public void send(JsonObject frame) {
    sendText(frame.encode());
  }

  public void sendText(String text) {
    socket.writeTextMessage(text);
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
      socket.close();
    }
    client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
