package dev.contactcenter.http;

import dev.contactcenter.auth.VerifiedTokenCache;
import dev.contactcenter.logging.LogSafe;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-bus bridge's bookkeeping of its open sockets: each one's identity (fixed by its token), the timer that
 * closes it at its token's expiry (or at the deadline for a first, authenticating frame), and closing it with an
 * {@code err} frame that says why. {@link EventBusBridge} decides what a socket may do; this class only remembers who
 * it is and when it must go.
 */
final class BridgeSockets {

  /** The bridge's logger: operators filter one category for everything a bridge socket went through. */
  private static final Logger LOG = LoggerFactory.getLogger(EventBusBridge.class);

  private final Vertx vertx;
  /** Same checks as the API's (claims' presence and types); one per bridge, used on its verticle's event loop. */
  private final VerifiedTokenCache verifier;
  private final UserDirectory users;
  private final Map<SockJSSocket, Session> sessions = new ConcurrentHashMap<>();

  BridgeSockets(Vertx vertx, VerifiedTokenCache verifier, UserDirectory users) {
    this.vertx = vertx;
    this.verifier = verifier;
    this.users = users;
  }

  /** A socket opened without a token: it has {@code deadlineMs} to authenticate in its first register frame. */
  void awaitToken(SockJSSocket socket, long deadlineMs) {
    Session session = new Session();
    session.timer = vertx.setTimer(deadlineMs, id -> {
      if (!session.authenticated()) {
        refuse(socket, "auth_required", "no token within " + deadlineMs + " ms");
      }
    });
    sessions.put(socket, session);
  }

  /** A socket opened with a token in its URL; only an accepted one is remembered (only it gets a SOCKET_CLOSED). */
  Future<Boolean> openWithToken(SockJSSocket socket, String token) {
    Session session = new Session();
    return authenticate(socket, session, token).onSuccess(accepted -> {
      if (accepted) {
        sessions.put(socket, session);
      }
    });
  }

  /** The socket's session; an empty (unauthenticated) one for a socket the bridge does not remember. */
  Session session(SockJSSocket socket) {
    Session session = sessions.get(socket);
    return session == null ? new Session() : session;
  }

  boolean isAuthenticated(SockJSSocket socket) {
    Session session = sessions.get(socket);
    return session != null && session.authenticated();
  }

  /** A disabled user's sockets close at once, not at their next message. */
  void userChanged(JsonObject change) {
    if (!change.getBoolean("disabled", false)) {
      return;
    }
    String username = change.getString("username");
    sessions.forEach((socket, session) -> {
      if (username != null && username.equals(session.username)) {
        refuse(socket, "user_disabled", "user " + username + " was disabled");
      }
    });
  }

  void closed(SockJSSocket socket) {
    Session session = sessions.remove(socket);
    if (session != null && session.timer != 0) {
      vertx.cancelTimer(session.timer);
    }
  }

  /** Verifies the token and fixes the socket's identity; a bad token closes the socket. */
  Future<Boolean> authenticate(SockJSSocket socket, Session session, String token) {
    if (token == null || token.isEmpty()) {
      refuse(socket, "auth_required", "no token in the URL nor in the first register frame");
      return Future.succeededFuture(false);
    }
    return verifier.authenticate(new TokenCredentials(token))
        .compose(user -> {
          Number exp = user.get("exp");
          String username = user.get("sub");
          return users.usable(username).map(usable -> {
            long expiresAtMs = exp.longValue() * 1000;
            long left = expiresAtMs - System.currentTimeMillis();
            if (left <= 0) {
              refuse(socket, "token_expired", "token of " + username + " already expired");
              return false;
            }
            if (!usable) {
              refuse(socket, "user_disabled", "user " + username + " is disabled or unknown");
              return false;
            }
            session.identify(username, "admin".equals(user.get("role")), expiresAtMs);
            if (session.timer != 0) {
              vertx.cancelTimer(session.timer);
            }
            session.timer = vertx.setTimer(left, id -> refuse(socket, "token_expired",
                "token of " + username + " expired"));
            LOG.debug("Bridge socket from {} authenticated as {} for {} s", socket.remoteAddress(), username,
                left / 1000);
            return true;
          });
        })
        .recover(invalid -> {
          // The JWT library's own words for a token past its exp (README documents token_expired).
          boolean expired = String.valueOf(invalid.getMessage()).toLowerCase(Locale.ROOT).contains("expired");
          refuse(socket, expired ? "token_expired" : "invalid_token", LogSafe.text(invalid.getMessage()));
          return Future.succeededFuture(false);
        });
  }

  /** Tells the client why in an {@code err} frame, then closes the socket. */
  void refuse(SockJSSocket socket, String reason, String detail) {
    long suppressed = FrameGuard.BUDGET.take(System.currentTimeMillis());
    if (suppressed >= 0) {
      LOG.info("Bridge socket from {} closed: {} ({}){}", socket.remoteAddress(), reason, LogSafe.text(detail),
          suppressed > 0 ? " [" + suppressed + " similar lines suppressed]" : "");
    }
    socket.write(Buffer.buffer(new JsonObject().put("type", "err").put("body", reason).encode()));
    socket.close(4401, reason);
  }

  /** What the bridge knows of one socket; written on its event loop, read from any. */
  static final class Session {
    private volatile String username;
    private volatile boolean admin;
    private volatile long expiresAtMs;
    private volatile long timer;

    private void identify(String username, boolean admin, long expiresAtMs) {
      this.admin = admin;
      this.expiresAtMs = expiresAtMs;
      this.username = username;
    }

    boolean authenticated() {
      return username != null;
    }

    String username() {
      return username;
    }

    boolean admin() {
      return admin;
    }

    long expiresAtMs() {
      return expiresAtMs;
    }
  }
}
