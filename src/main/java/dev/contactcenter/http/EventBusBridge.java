package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ALL;
import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_OWNER_PREFIX;
import static dev.contactcenter.bus.EventBusAddresses.USERS_CHANGED;

import dev.contactcenter.auth.TokenService;
import dev.contactcenter.auth.VerifiedTokenCache;
import dev.contactcenter.logging.LogSafe;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.Transport;
import io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SockJS event-bus bridge at {@code /eventbus}: browsers and other clients listen to call transitions live.
 *
 * <p><b>Outbound only.</b> No address accepts messages from a client: every {@code send} and {@code publish} is refused
 * (no inbound permission, and the bridge-event handler says no as well). Only {@code calls.status.owner.<user>} and
 * {@code calls.status.all} can be registered at all.
 *
 * <p><b>Authentication</b> uses the API's own access token, either in the SockJS URL
 * ({@code /eventbus?access_token=<jwt>}: a bad token closes the socket at once) or in the first frame: a socket opened
 * without a token may only ping until its first {@code register} frame, which must carry
 * {@code "headers": {"Authorization": "Bearer <jwt>"}}; any other frame, a bad token or {@value #AUTH_DEADLINE_MS} ms
 * of silence closes it. The token's identity is fixed for the life of the socket, and the socket is closed when the
 * token expires (a timer set to its {@code exp}) or as soon as its user is disabled; each refusal is announced by an
 * {@code err} frame ({@code auth_required}, {@code invalid_token}, {@code token_expired}, {@code user_disabled}) just
 * before the close.
 *
 * <p><b>Authorization</b>: a user may register only on their own calls' address; role {@code admin} also on
 * {@code calls.status.all}. Anything else gets the bridge's {@code {"type":"err","body":"rejected"}} and the socket
 * stays open; an accepted one is acknowledged with {@code {"type":"registered","body":<address>}} once messages flow.
 * Each delivered message is checked again against the socket's identity.
 *
 * <p>No origin check ({@link SockJSHandlerOptions#setOrigin}) is configured: a socket carries no ambient credential
 * (no cookie), only the token the client itself presents, so a page of another site gains nothing by opening one, and
 * third-party dashboards on other origins are an intended use.
 */
final class EventBusBridge {

  /** How long a socket opened without a token in its URL may wait before its first, authenticating, frame. */
  static final long AUTH_DEADLINE_MS = 10_000;
  /** Clients must ping at least this often (the dashboard pings every 20 s). */
  static final long PING_TIMEOUT_MS = 60_000;
  static final String TOKEN_QUERY_PARAMETER = "access_token";
  /** Largest XHR-transport request body; the bridge's frames are a few hundred bytes. */
  static final int MAX_FRAME_BYTES = 65_536;

  private static final Logger LOG = LoggerFactory.getLogger(EventBusBridge.class);
  private static final Pattern LISTENABLE = Pattern.compile(
      Pattern.quote(CALL_STATUS_ALL) + "|" + Pattern.quote(CALL_STATUS_OWNER_PREFIX) + "[^\\s]{1,64}");

  private final Vertx vertx;
  private final TokenService tokens;
  /** Same checks as the API's (claims' presence and types); one per bridge, used on its verticle's event loop. */
  private final VerifiedTokenCache verifier;
  private final UserDirectory users;
  private final Map<SockJSSocket, Session> sessions = new ConcurrentHashMap<>();

  private EventBusBridge(Vertx vertx, TokenService tokens, UserDirectory users) {
    this.vertx = vertx;
    this.tokens = tokens;
    this.verifier = new VerifiedTokenCache(tokens.auth());
    this.users = users;
  }

  /**
   * Mounts the bridge at {@code /eventbus/*}, with its own small {@code BodyHandler} (SockJS's XHR transports need
   * one). Call it before the router's CORS handler: SockJS answers its own CORS requests, for every origin, as a
   * socket's only credential is the token it presents.
   */
  static void mount(Router root, Vertx vertx, TokenService tokens, UserDirectory users) {
    SockJSHandlerOptions sockJs = new SockJSHandlerOptions()
        // The iframe transports load the SockJS client from this URL: the copy in the jar, never a CDN.
        .setLibraryURL(DashboardRoutes.SOCKJS_PATH)
        // No JSESSIONID cookie: nothing here is sticky to a cookie, and a socket's only credential is its token.
        .setInsertJSESSIONID(false)
        .addDisabledTransport(Transport.JSON_P.name())
        .addDisabledTransport(Transport.HTML_FILE.name());
    SockJSBridgeOptions bridge = new SockJSBridgeOptions()
        .addOutboundPermitted(new PermittedOptions().setAddressRegex(LISTENABLE.pattern()))
        .setMaxHandlersPerSocket(4)
        .setMaxAddressLength(128)
        .setPingTimeout(PING_TIMEOUT_MS);
    EventBusBridge guard = new EventBusBridge(vertx, tokens, users);
    vertx.eventBus().<JsonObject>consumer(USERS_CHANGED, msg -> guard.userChanged(msg.body()));
    root.route("/eventbus/*").handler(BodyHandler.create(false).setBodyLimit(MAX_FRAME_BYTES));
    // The bridge itself, as SockJSHandler.bridge() builds it, but fed through a FrameGuard per socket.
    EventBusBridgeImpl bridgeImpl = new EventBusBridgeImpl(vertx, null, bridge, guard::handle);
    root.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, sockJs)
        .socketHandler(socket -> bridgeImpl.handle(new FrameGuard(socket, guard::isAuthenticated))));
  }

  private boolean isAuthenticated(SockJSSocket socket) {
    Session session = sessions.get(socket);
    return session != null && session.authenticated();
  }

  /** Whether a user may listen on an address: their own calls, or every call for an admin. */
  static boolean mayListen(String username, boolean admin, String address) {
    if (address == null) {
      return false;
    }
    return address.equals(CALL_STATUS_OWNER_PREFIX + username) || admin && address.equals(CALL_STATUS_ALL);
  }

  private void handle(BridgeEvent event) {
    try {
      switch (event.type()) {
        case SOCKET_CREATED -> opened(event);
        case REGISTER -> register(event);
        case REGISTERED -> acknowledge(event);
        case RECEIVE -> receive(event);
        case SEND, PUBLISH, UNREGISTER -> otherFrame(event);
        case SOCKET_CLOSED -> closed(event);
        default -> event.complete(true);
      }
    } catch (RuntimeException e) {
      LOG.warn("Bridge event {} refused after an error: {}", event.type(), e.toString());
      event.tryComplete(false);
    }
  }

  private void opened(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    String token = socket.routingContext() == null ? null
        : socket.routingContext().queryParams().get(TOKEN_QUERY_PARAMETER);
    Session session = new Session();
    if (token == null || token.isEmpty()) {
      session.timer = vertx.setTimer(AUTH_DEADLINE_MS, id -> {
        if (!session.authenticated()) {
          refuse(socket, "auth_required", "no token within " + AUTH_DEADLINE_MS + " ms");
        }
      });
      sessions.put(socket, session);
      event.complete(true);
      return;
    }
    // Only an accepted socket gets a SOCKET_CLOSED event, so only an accepted one is remembered.
    authenticate(socket, session, token).onComplete(ok -> {
      boolean accepted = ok.succeeded() && ok.result();
      if (accepted) {
        sessions.put(socket, session);
      }
      event.complete(accepted);
    });
  }

  private void register(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    Session session = sessionOf(event);
    JsonObject frame = event.getRawMessage();
    String address = frame == null ? null : frame.getString("address");
    Future<Boolean> identified = session.authenticated() ? Future.succeededFuture(true)
        : authenticate(socket, session, bearer(frame));
    identified.onComplete(ok -> {
      if (ok.failed() || !ok.result()) {
        event.tryComplete(false);
        return;
      }
      if (users.isDisabled(session.username)) {
        refuse(socket, "user_disabled", "user " + session.username + " is disabled");
        event.tryComplete(false);
        return;
      }
      boolean allowed = mayListen(session.username, session.admin, address);
      if (!allowed && FrameGuard.BUDGET.take(System.currentTimeMillis()) >= 0) {
        LOG.info("Bridge registration on '{}' refused for user {}", abbreviate(address), session.username);
      }
      event.tryComplete(allowed);
    });
  }

  /**
   * Tells the client its registration took effect: {@code {"type":"registered","body":<address>}}. Vert.x's bridge
   * protocol has no such answer, so without it a client cannot know when it starts receiving. No {@code address}
   * key, so the Vert.x event-bus clients do not take it for a message to their handlers.
   */
  private void acknowledge(BridgeEvent event) {
    JsonObject frame = event.getRawMessage();
    if (frame != null && frame.getValue("address") instanceof String address) {
      event.socket().write(Buffer.buffer(new JsonObject().put("type", "registered").put("body", address).encode()));
    }
    event.complete(true);
  }

  private void receive(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    Session session = sessionOf(event);
    if (!session.authenticated()) {
      event.complete(false);
      return;
    }
    if (System.currentTimeMillis() >= session.expiresAtMs) {
      refuse(socket, "token_expired", "token of " + session.username + " expired");
      event.complete(false);
      return;
    }
    if (users.isDisabled(session.username)) {
      refuse(socket, "user_disabled", "user " + session.username + " is disabled");
      event.complete(false);
      return;
    }
    JsonObject envelope = event.getRawMessage();
    JsonObject body = envelope == null ? null : envelope.getJsonObject("body");
    boolean own = body != null && session.username.equals(body.getString("owner"));
    event.complete(session.admin || own);
  }

  /** Unregister is fine once authenticated; send and publish never are; nothing but a register may come first. */
  private void otherFrame(BridgeEvent event) {
    Session session = sessionOf(event);
    if (!session.authenticated()) {
      refuse(event.socket(), "auth_required", "first frame was not an authenticating register");
      event.complete(false);
      return;
    }
    event.complete(event.type() == BridgeEventType.UNREGISTER);
  }

  /** A disabled user's sockets close at once, not at their next message. */
  private void userChanged(JsonObject change) {
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

  private void closed(BridgeEvent event) {
    Session session = sessions.remove(event.socket());
    if (session != null && session.timer != 0) {
      vertx.cancelTimer(session.timer);
    }
    event.complete(true);
  }

  /** Verifies the token and fixes the socket's identity; a bad token closes the socket. */
  private Future<Boolean> authenticate(SockJSSocket socket, Session session, String token) {
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
          boolean expired = String.valueOf(invalid.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("expired");
          refuse(socket, expired ? "token_expired" : "invalid_token", LogSafe.text(invalid.getMessage()));
          return Future.succeededFuture(false);
        });
  }

  /** Tells the client why in an {@code err} frame, then closes the socket. */
  private void refuse(SockJSSocket socket, String reason, String detail) {
    long suppressed = FrameGuard.BUDGET.take(System.currentTimeMillis());
    if (suppressed >= 0) {
      LOG.info("Bridge socket from {} closed: {} ({}){}", socket.remoteAddress(), reason, LogSafe.text(detail),
          suppressed > 0 ? " [" + suppressed + " similar lines suppressed]" : "");
    }
    socket.write(Buffer.buffer(new JsonObject().put("type", "err").put("body", reason).encode()));
    socket.close(4401, reason);
  }

  private Session sessionOf(BridgeEvent event) {
    Session session = sessions.get(event.socket());
    return session == null ? new Session() : session;
  }

  /** The token of a register frame's {@code headers.Authorization}, as the Vert.x event-bus clients send headers. */
  private static String bearer(JsonObject frame) {
    JsonObject headers = frame == null ? null : frame.getJsonObject("headers");
    if (headers == null) {
      return null;
    }
    for (String name : headers.fieldNames()) {
      Object value = headers.getValue(name);
      if ("authorization".equalsIgnoreCase(name) && value instanceof String text
          && text.regionMatches(true, 0, "Bearer ", 0, 7)) {
        return text.substring(7).trim();
      }
    }
    return null;
  }

  /** A client-chosen address, made safe to log: short, one line. */
  private static String abbreviate(String text) {
    if (text == null) {
      return "";
    }
    String oneLine = text.replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 80) + "…";
  }

  /** What the bridge knows of one socket; written on its event loop, read from any. */
  private static final class Session {
    private volatile String username;
    private volatile boolean admin;
    private volatile long expiresAtMs;
    private volatile long timer;

    void identify(String username, boolean admin, long expiresAtMs) {
      this.admin = admin;
      this.expiresAtMs = expiresAtMs;
      this.username = username;
    }

    boolean authenticated() {
      return username != null;
    }
  }
}
