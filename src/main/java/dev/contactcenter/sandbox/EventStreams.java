package dev.contactcenter.sandbox;

import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which WebSocket receives the events of which Stasis application.
 *
 * <p>Like Asterisk, an application has one event stream: the socket that connected last takes it,
 * and an earlier socket for the same application gets one {@code ApplicationReplaced} event, stays open
 * but receives nothing more. An application with no socket is not registered, and its events are dropped.
 * An application's event filter ({@code PUT /applications/{app}/eventFilter}) stays with the application when its
 * socket reconnects.
 */
final class EventStreams {

  private static final Logger LOG = LoggerFactory.getLogger(EventStreams.class);

  private final Map<String, ServerWebSocket> sockets = new HashMap<>();
  private final Map<String, EventTypeFilter> filters = new HashMap<>();

  void attach(List<String> apps, ServerWebSocket socket) {
    for (String app : apps) {
      ServerWebSocket previous = sockets.put(app, socket);
      if (previous != null && previous != socket) {
        LOG.debug("A newer WebSocket takes the event stream of application {}", app);
        previous.writeTextMessage(new JsonObject().put("type", "ApplicationReplaced").put("application", app)
            .put("timestamp", AriClock.format(System.currentTimeMillis())).encode());
      }
    }
    LOG.debug("WebSocket from {} registered applications {}", socket.remoteAddress(), apps);
    // Only the socket that still holds an application may unregister it.
    socket.closeHandler(closed -> apps.forEach(app -> {
      if (sockets.remove(app, socket)) {
        LOG.debug("Application {} unregistered: its WebSocket closed", app);
      }
    }));
    socket.exceptionHandler(e -> LOG.debug("WebSocket for applications {} failed", apps, e));
  }

  boolean isRegistered(String app) {
    return sockets.containsKey(app);
  }

  EventTypeFilter filter(String app) {
    return filters.getOrDefault(app, EventTypeFilter.NONE);
  }

  void filter(String app, EventTypeFilter filter) {
    filters.put(app, filter);
  }

  /**
   * @param type  the event's type, checked against the application's filter
   * @param event the event as JSON text (see {@link AriEvents}), built only when it is sent
   */
  void send(String app, String type, Supplier<String> event) {
    ServerWebSocket socket = sockets.get(app);
    if (socket == null) {
      LOG.trace("No WebSocket for application {}: event dropped", app);
      return;
    }
    if (!filter(app).allows(type)) {
      return;
    }
    // A socket closing right now fails this write; Asterisk loses such events too.
    socket.writeTextMessage(event.get());
  }
}
