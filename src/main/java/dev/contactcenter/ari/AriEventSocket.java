package dev.contactcenter.ari;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ARI events WebSocket. Reads frames as fast as Asterisk sends them and hands each parsed event on without
 * waiting for anything (Asterisk drops a consumer that falls behind, and every event sent meanwhile). Reconnects
 * by itself with capped exponential backoff and jitter; pings so a dead peer is noticed.
 */
final class AriEventSocket {

  private static final Logger LOG = LoggerFactory.getLogger(AriEventSocket.class);
  private static final long FIRST_RETRY_MS = 250;
  private static final long MAX_RETRY_MS = 10_000;
  private static final long PING_EVERY_MS = 10_000;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final WebSocketConnectOptions connectOptions;
  private final Handler<JsonObject> onEvent;
  private final Set<String> wanted;
  private final Runnable onUnwanted;
  private final Runnable onConnected;
  private final Runnable onDisconnected;
  private WebSocket socket;
  private int failedAttempts;
  private long pingTimer = -1;
  private long retryTimer = -1;
  private boolean closed;
  private String lastError = "not connected yet";
  /** Completes when the first connect attempt opened the stream or failed (it is bounded by the connect timeout). */
  private final Promise<Void> firstAttempt = Promise.promise();

  /**
   * @param wanted     the event types {@code onEvent} acts on; frames of other types are dropped unparsed
   * @param onUnwanted runs for each dropped frame (none arrive while Asterisk applies our event filter)
   */
  AriEventSocket(Vertx vertx, AriSettings settings, Set<String> wanted, Handler<JsonObject> onEvent,
      Runnable onUnwanted, Runnable onConnected, Runnable onDisconnected) {
    this.vertx = vertx;
    this.wanted = wanted;
    this.onUnwanted = onUnwanted;
    this.onEvent = onEvent;
    this.onConnected = onConnected;
    this.onDisconnected = onDisconnected;
    URI uri = URI.create(settings.httpUrl());
    boolean tls = "https".equals(uri.getScheme());
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setConnectTimeout(3000)
        .setIdleTimeout(35)
        .setMaxMessageSize(4 * 1024 * 1024)
        .setMaxFrameSize(1024 * 1024));
    String credentials = Base64.getEncoder().encodeToString(
        (settings.username() + ":" + settings.password()).getBytes(StandardCharsets.UTF_8));
    this.connectOptions = new WebSocketConnectOptions()
        .setHost(uri.getHost())
        .setPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80)
        .setSsl(tls)
        .setURI(settings.eventsPath())
        .addHeader("Authorization", "Basic " + credentials);
  }

  void start() {
    connect();
  }

  boolean connected() {
    return socket != null;
  }

  /** The first connect attempt's end: opened, failed, or closed before it ended; within the connect timeout. */
  Future<Void> firstAttempt() {
    return firstAttempt.future();
  }

  String lastError() {
    return lastError;
  }

  Future<Void> close() {
    closed = true;
    firstAttempt.tryComplete();
    vertx.cancelTimer(pingTimer);
    vertx.cancelTimer(retryTimer);
    WebSocket current = socket;
    socket = null;
    Future<Void> closing = current == null ? Future.succeededFuture() : current.close().recover(e -> Future.succeededFuture());
    return closing.compose(v -> client.close());
  }

  private void connect() {
    if (closed) {
      return;
    }
    client.connect(connectOptions).onSuccess(this::opened).onFailure(failure -> {
      if (failure instanceof UpgradeRejectedException rejected) {
        refused(rejected.getStatus());
        scheduleReconnect(false);
      } else {
        lastError = "cannot connect to ARI events: " + failure.getMessage();
        scheduleReconnect(true);
      }
      firstAttempt.tryComplete();
    });
  }

  /**
   * Asterisk answered the events request but refused it: a wrong URL or wrong credentials, which retrying will
   * not fix. Said once in the log (and again whenever it changes) and kept for {@code /health}; the retries back
   * off to the longest interval at once.
   */
  private void refused(int status) {
    String where = eventsUrl();
    String hint = switch (status) {
      case 401, 403 -> "check ARI_USERNAME and ARI_PASSWORD (ari.conf)";
      case 404 -> "check ARI_HTTP_URL";
      default -> "check ARI_HTTP_URL and Asterisk's http.conf";
    };
    String message = "ARI answered " + status + " at " + where + ": " + hint;
    if (!message.equals(lastError)) {
      LOG.error(message);
    }
    lastError = message;
    failedAttempts = Math.max(failedAttempts, 10);
  }

  private void opened(WebSocket ws) {
    if (closed) {
      ws.close();
      return;
    }
    socket = ws;
    failedAttempts = 0;
    lastError = null;
    ws.textMessageHandler(this::frame);
    ws.exceptionHandler(e -> LOG.warn("ARI events socket error: {}", e.toString()));
    ws.closeHandler(v -> lost(ws));
    pingTimer = vertx.setPeriodic(PING_EVERY_MS, id -> ws.writePing(Buffer.buffer("k")));
    LOG.info("Connected to ARI events at {}", eventsUrl());
    onConnected.run();
    firstAttempt.tryComplete();
  }

  /** Where the events socket connects, without credentials: for log lines and {@code /health}. */
  private String eventsUrl() {
    String uri = connectOptions.getURI();
    int query = uri.indexOf('?');
    return (Boolean.TRUE.equals(connectOptions.isSsl()) ? "https://" : "http://") + connectOptions.getHost() + ":"
        + connectOptions.getPort() + (query < 0 ? uri : uri.substring(0, query));
  }

  private void frame(String text) {
    String type = typeOf(text);
    if (type != null && !wanted.contains(type)) {
      // Most of a call's events (dialplan steps, caller id, variables, the ;2 half's hang-up requests) change no
      // state: measured on Asterisk 22, about 8 of the 11 frames of a busy call. The event filter keeps Asterisk
      // from sending them; when it is not in force they are dropped here without being parsed.
      onUnwanted.run();
      return;
    }
    JsonObject event;
    try {
      // Only the fields the state machine reads: real Asterisk snapshots are mostly fields we never look at.
      event = EventFields.read(text);
    } catch (DecodeException e) {
      LOG.warn("Ignoring an ARI frame that is not JSON ({} chars)", text.length());
      return;
    }
    try {
      onEvent.handle(event);
    } catch (RuntimeException e) {
      LOG.error("Handling ARI event {} failed", event.getString("type"), e);
    }
  }

  /**
   * The event's {@code type}, read without parsing the frame: ARI events carry exactly one {@code "type"} key (the
   * channel, peer and other objects inside have none, and string values have their quotes escaped). Null when the
   * frame does not look as expected; it is then parsed in full.
   */
  static String typeOf(String text) {
    int key = text.indexOf("\"type\"");
    if (key < 0) {
      return null;
    }
    int i = key + 6;
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    if (i >= text.length() || text.charAt(i) != ':') {
      return null;
    }
    i++;
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    if (i >= text.length() || text.charAt(i) != '"') {
      return null;
    }
    int end = text.indexOf('"', i + 1);
    return end < 0 ? null : text.substring(i + 1, end);
  }

  private void lost(WebSocket ws) {
    if (socket != ws) {
      return;
    }
    socket = null;
    vertx.cancelTimer(pingTimer);
    lastError = "ARI events connection lost";
    if (!closed) {
      LOG.warn("ARI events connection lost; reconnecting");
      onDisconnected.run();
      scheduleReconnect(true);
    }
  }

  private void scheduleReconnect(boolean logRetries) {
    if (closed) {
      return;
    }
    long cap = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(failedAttempts, 10));
    // Jitter between half and the whole backoff, so restarted instances do not reconnect in lockstep.
    long delay = cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
    failedAttempts++;
    if (logRetries && (failedAttempts == 1 || failedAttempts % 10 == 0)) {
      LOG.warn("{}; retry #{} in {} ms", lastError, failedAttempts, delay);
    }
    retryTimer = vertx.setTimer(delay, id -> connect());
  }
}
