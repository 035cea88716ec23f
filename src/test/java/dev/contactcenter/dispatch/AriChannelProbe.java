package dev.contactcenter.dispatch;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Asterisk's own view of the calls placed: an ARI WebSocket of a separate application subscribed to everything, which
 * records every originated channel ({@code ;1} half of a Local channel) as Asterisk created it (its
 * {@code creationtime}, Asterisk's clock). What the service dials is measured here, not in the service.
 */
final class AriChannelProbe implements AutoCloseable {

  /** One channel Asterisk created: its id (the call id for a call the service placed) and creation time. */
  record Created(String id, Instant at) {
  }

  private static final DateTimeFormatter ARI_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

  private final List<Created> created = Collections.synchronizedList(new ArrayList<>());
  private final WebSocket socket;

  private AriChannelProbe(WebSocket socket) {
    this.socket = socket;
  }

  static AriChannelProbe open(String ariHttpUrl, String user, String password, String app) throws Exception {
    String ws = ariHttpUrl.replaceFirst("^http", "ws") + "/ari/events?subscribeAll=true&app=" + app + "&api_key="
        + URLEncoder.encode(user + ":" + password, StandardCharsets.UTF_8);
    List<Created> sink = new ArrayList<>();
    AriChannelProbe[] self = new AriChannelProbe[1];
    WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create(ws), new WebSocket.Listener() {
          private final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              JsonObject event = new JsonObject(partial.toString());
              partial.setLength(0);
              if ("ChannelCreated".equals(event.getString("type"))) {
                JsonObject channel = event.getJsonObject("channel");
                if (channel.getString("name", "").endsWith(";1")) {
                  Created c = new Created(channel.getString("id"),
                      OffsetDateTime.parse(channel.getString("creationtime"), ARI_TIME).toInstant());
                  if (self[0] != null) {
                    self[0].created.add(c);
                  } else {
                    sink.add(c);
                  }
                }
              }
            }
            webSocket.request(1);
            return null;
          }
        }).get(10, TimeUnit.SECONDS);
    AriChannelProbe probe = new AriChannelProbe(socket);
    self[0] = probe;
    probe.created.addAll(sink);
    return probe;
  }

  List<Created> created() {
    synchronized (created) {
      return List.copyOf(created);
    }
  }

  /** The most channels created within any one second (a sliding window over Asterisk's creation times). */
  static int maxInAnySecond(List<Instant> times) {
    List<Instant> sorted = new ArrayList<>(times);
    Collections.sort(sorted);
    int max = 0;
    int from = 0;
    for (int to = 0; to < sorted.size(); to++) {
      while (Duration.between(sorted.get(from), sorted.get(to)).toMillis() >= 1000) {
        from++;
      }
      max = Math.max(max, to - from + 1);
    }
    return max;
  }

  @Override
  public void close() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
  }
}
