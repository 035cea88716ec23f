package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ALL;
import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_OWNER_PREFIX;
import static dev.contactcenter.bus.EventBusAddresses.USERS_CHANGED;

import dev.contactcenter.auth.TokenService;
import dev.contactcenter.auth.VerifiedTokenCache;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
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
 *
 * <p>This class is the policy (what each frame may do) and the wiring; {@link BridgeSockets} remembers each socket's
 * identity and timers and closes it with its reason.
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

  private final UserDirectory users;
  /** Who each socket is and when it must close. */
  private final BridgeSockets sockets;

  private EventBusBridge(Vertx vertx, TokenService tokens, UserDirectory users) {
    this.users = users;
    this.sockets = new BridgeSockets(vertx, new VerifiedTokenCache(tokens.auth()), users);
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
    vertx.eventBus().<JsonObject>consumer(USERS_CHANGED, msg -> guard.sockets.userChanged(msg.body()));
    // POST only: the XHR transports post their frames; a GET (the WebSocket upgrade among them) has no body, and
    // reading one to its end first made toWebSocket() fail ("Request has already been read": a 500) for a client
    // whose upgrade request the server sees end at once, as the JDK's WebSocket client's.
    root.route(HttpMethod.POST, "/eventbus/*").handler(BodyHandler.create(false).setBodyLimit(MAX_FRAME_BYTES));
    // The bridge itself, as SockJSHandler.bridge() builds it, but fed through a FrameGuard per socket.
    EventBusBridgeImpl bridgeImpl = new EventBusBridgeImpl(vertx, null, bridge, guard::handle);
    root.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, sockJs)
        .socketHandler(socket -> bridgeImpl.handle(new FrameGuard(socket, guard.sockets::isAuthenticated))));
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
    if (token == null || token.isEmpty()) {
      sockets.awaitToken(socket, AUTH_DEADLINE_MS);
      event.complete(true);
      return;
    }
    sockets.openWithToken(socket, token).onComplete(ok -> event.complete(ok.succeeded() && ok.result()));
  }

  private void register(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    BridgeSockets.Session session = sockets.session(event.socket());
    JsonObject frame = event.getRawMessage();
    String address = frame == null ? null : frame.getString("address");
    Future<Boolean> identified = session.authenticated() ? Future.succeededFuture(true)
        : sockets.authenticate(socket, session, bearer(frame));
    identified.onComplete(ok -> {
      if (ok.failed() || !ok.result()) {
        event.tryComplete(false);
        return;
      }
      if (users.isDisabled(session.username())) {
        sockets.refuse(socket, "user_disabled", "user " + session.username() + " is disabled");
        event.tryComplete(false);
        return;
      }
      boolean allowed = mayListen(session.username(), session.admin(), address);
      if (!allowed && FrameGuard.BUDGET.take(System.currentTimeMillis()) >= 0) {
        LOG.info("Bridge registration on '{}' refused for user {}", abbreviate(address), session.username());
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
    BridgeSockets.Session session = sockets.session(event.socket());
    if (!session.authenticated()) {
      event.complete(false);
      return;
    }
    if (System.currentTimeMillis() >= session.expiresAtMs()) {
      sockets.refuse(socket, "token_expired", "token of " + session.username() + " expired");
      event.complete(false);
      return;
    }
    if (users.isDisabled(session.username())) {
      sockets.refuse(socket, "user_disabled", "user " + session.username() + " is disabled");
      event.complete(false);
      return;
    }
    JsonObject envelope = event.getRawMessage();
    JsonObject body = envelope == null ? null : envelope.getJsonObject("body");
    boolean own = body != null && session.username().equals(body.getString("owner"));
    event.complete(session.admin() || own);
  }

  /** Unregister is fine once authenticated; send and publish never are; nothing but a register may come first. */
  private void otherFrame(BridgeEvent event) {
    BridgeSockets.Session session = sockets.session(event.socket());
    if (!session.authenticated()) {
      sockets.refuse(event.socket(), "auth_required", "first frame was not an authenticating register");
      event.complete(false);
      return;
    }
    event.complete(event.type() == BridgeEventType.UNREGISTER);
  }

  private void closed(BridgeEvent event) {
    sockets.closed(event.socket());
    event.complete(true);
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
}
