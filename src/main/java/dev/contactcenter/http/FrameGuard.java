package dev.contactcenter.http;

import dev.contactcenter.logging.LogBudget;
import dev.contactcenter.logging.LogSafe;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits between a SockJS socket and Vert.x's bridge and looks at each frame first. Before the socket is
 * authenticated only {@code ping} and the authenticating {@code register} pass; anything else closes it. After, a
 * frame that is not JSON or has a type the bridge does not know is answered {@code invalid_frame} and dropped, where
 * the bridge would log it verbatim at ERROR, once per frame. Each socket costs at most one line about bad frames,
 * and all sockets together share a {@link LogBudget}.
 */
final class FrameGuard implements SockJSSocket {

  /** Largest frame passed to the bridge; a register frame is a few hundred bytes, its address at most 128. */
  static final int MAX_FRAME_CHARS = 4096;
  private static final Logger LOG = LoggerFactory.getLogger(FrameGuard.class);
  private static final Set<String> TYPES = Set.of("ping", "register", "unregister", "send", "publish");
  static final LogBudget BUDGET = new LogBudget(20, 10_000);

  private final SockJSSocket socket;
  private final Predicate<SockJSSocket> authenticated;
  private boolean logged;

  FrameGuard(SockJSSocket socket, Predicate<SockJSSocket> authenticated) {
    this.socket = socket;
    this.authenticated = authenticated;
  }

  @Override
  public SockJSSocket handler(Handler<Buffer> handler) {
    socket.handler(handler == null ? null : data -> {
      String refusal = refusal(data);
      if (refusal == null) {
        handler.handle(data);
        return;
      }
      boolean known = authenticated.test(this);
      logOnce(refusal, data);
      socket.write(Buffer.buffer(new JsonObject().put("type", "err")
          .put("body", known ? "invalid_frame" : "auth_required").encode()));
      if (!known) {
        socket.close(4401, "auth_required");
      }
    });
    return this;
  }

  /** Why a frame does not go to the bridge, or null. */
  private String refusal(Buffer data) {
    if (data.length() > MAX_FRAME_CHARS) {
      return "frame of " + data.length() + " bytes";
    }
    String type;
    try {
      type = new JsonObject(data).getValue("type") instanceof String t ? t : null;
    } catch (RuntimeException e) {
      return "frame is not a JSON object";
    }
    if (type == null || !TYPES.contains(type)) {
      return "unknown frame type '" + LogSafe.text(type, 40) + "'";
    }
    if (!authenticated.test(this) && !type.equals("ping") && !type.equals("register")) {
      return "frame '" + type + "' before authentication";
    }
    return null;
  }

  private void logOnce(String refusal, Buffer data) {
    if (logged) {
      return;
    }
    logged = true;
    long suppressed = BUDGET.take(System.currentTimeMillis());
    if (suppressed >= 0) {
      LOG.info("Bridge socket from {} sent a bad frame ({}): {}{}", socket.remoteAddress(), refusal,
          LogSafe.text(data.toString(), 80), suppressed > 0 ? " [" + suppressed + " similar lines suppressed]" : "");
    }
  }

  /**
   * The bridge logs a socket's failure at ERROR with its stack trace, so a client that connects and resets the
   * connection, over and over, would fill the log. A connection that ended (reset, closed mid-frame) is the client's
   * doing and worth a DEBUG line; anything else one WARN line without a stack trace, under the shared budget. The
   * socket is closed either way, and the bridge's close handler releases its registrations.
   */
  @Override
  public SockJSSocket exceptionHandler(Handler<Throwable> handler) {
    socket.exceptionHandler(handler == null ? null : failure -> {
      if (endedByPeer(failure)) {
        LOG.debug("Bridge socket from {} ended: {}", socket.remoteAddress(), failure.toString());
      } else {
        long suppressed = BUDGET.take(System.currentTimeMillis());
        if (suppressed >= 0) {
          LOG.warn("Bridge socket from {} failed: {}{}", socket.remoteAddress(), LogSafe.text(failure.toString(), 200),
              suppressed > 0 ? " [" + suppressed + " similar lines suppressed]" : "");
        }
      }
      socket.close();
    });
    return this;
  }

  private static boolean endedByPeer(Throwable failure) {
    return failure instanceof java.io.IOException || failure instanceof io.vertx.core.http.HttpClosedException
        || failure instanceof io.vertx.core.VertxException && "Connection was closed".equals(failure.getMessage());
  }

  @Override
  public SockJSSocket pause() {
    socket.pause();
    return this;
  }

  @Override
  public SockJSSocket resume() {
    socket.resume();
    return this;
  }

  @Override
  public SockJSSocket fetch(long amount) {
    socket.fetch(amount);
    return this;
  }

  @Override
  public SockJSSocket endHandler(Handler<Void> endHandler) {
    socket.endHandler(endHandler);
    return this;
  }

  @Override
  public SockJSSocket closeHandler(Handler<Void> closeHandler) {
    socket.closeHandler(closeHandler);
    return this;
  }

  @Override
  public Future<Void> write(Buffer data) {
    return socket.write(data);
  }

  @Override
  public SockJSSocket setWriteQueueMaxSize(int maxSize) {
    socket.setWriteQueueMaxSize(maxSize);
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return socket.writeQueueFull();
  }

  @Override
  public SockJSSocket drainHandler(Handler<Void> handler) {
    socket.drainHandler(handler);
    return this;
  }

  @Override
  public String writeHandlerID() {
    return socket.writeHandlerID();
  }

  @Override
  public Future<Void> end() {
    return socket.end();
  }

  @Override
  public void close() {
    socket.close();
  }

  @Override
  public void close(int statusCode, String reason) {
    socket.close(statusCode, reason);
  }

  @Override
  public SocketAddress remoteAddress() {
    return socket.remoteAddress();
  }

  @Override
  public SocketAddress localAddress() {
    return socket.localAddress();
  }

  @Override
  public MultiMap headers() {
    return socket.headers();
  }

  @Override
  public String uri() {
    return socket.uri();
  }

  @Override
  public RoutingContext routingContext() {
    return socket.routingContext();
  }

  @Override
  public Session webSession() {
    return socket.webSession();
  }

  @Override
  public User webUser() {
    return socket.webUser();
  }
}
