package dev.contactcenter.sandbox;

import dev.contactcenter.calls.HangupCauses;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the sandbox: the handful of ARI resources the service uses, with Asterisk's
 * status codes and messages, and the {@code /ari/events} WebSocket. Originating a channel, the one request with a
 * body and many checks, is {@link SandboxOriginate}.
 */
final class SandboxRoutes {

  /** Channels encoded per turn of the event loop when listing them all. */
  private static final int CHANNELS_PER_TURN = 1_000;

  private static final Logger LOG = LoggerFactory.getLogger(SandboxRoutes.class);

  private final CallSimulator calls;
  private final EventStreams streams;
  private final JsonObject info;
  private final SandboxOriginate originate;
  private final SandboxApplications applications;

  SandboxRoutes(CallSimulator calls, EventStreams streams, JsonObject info) {
    this.calls = calls;
    this.streams = streams;
    this.info = info;
    this.originate = new SandboxOriginate(calls, streams);
    this.applications = new SandboxApplications(calls, streams);
  }

  Router router(Vertx vertx, AriAuthHandler auth) {
    Router router = Router.router(vertx);
    // Originate bodies are small JSON objects; the sandbox takes no file uploads.
    BodyHandler body = BodyHandler.create(false).setBodyLimit(64 * 1024);
    router.route("/ari/*").handler(auth);
    router.get("/ari/asterisk/info").handler(this::asteriskInfo);
    router.get("/ari/events").handler(this::events);
    router.get("/ari/channels").handler(this::listChannels);
    router.post("/ari/channels").handler(body).handler(originate::handle);
    router.post("/ari/channels/:channelId/continue").handler(this::continueInDialplan);
    router.post("/ari/channels/:channelId").handler(body).handler(originate::handle);
    router.get("/ari/channels/:channelId").handler(this::getChannel);
    router.delete("/ari/channels/:channelId").handler(this::hangup);
    router.get("/ari/applications/:app").handler(applications::get);
    router.post("/ari/applications/:app/subscription").handler(applications::subscribe);
    router.put("/ari/applications/:app/eventFilter").handler(body).handler(applications::filterEvents);
    router.errorHandler(404, ctx -> AriResponses.error(ctx, 404, "Resource not found"));
    router.errorHandler(405, ctx -> AriResponses.error(ctx, 405, "Invalid method"));
    router.errorHandler(500, ctx -> {
      LOG.warn("ARI sandbox failed on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
      AriResponses.error(ctx, 500, "Internal Server Error");
    });
    return router;
  }

  private void asteriskInfo(RoutingContext ctx) {
    String only = param(ctx, "only");
    if (only == null) {
      AriResponses.json(ctx, 200, info);
      return;
    }
    JsonObject filtered = new JsonObject();
    for (String part : only.split(",")) {
      if (info.containsKey(part.trim())) {
        filtered.put(part.trim(), info.getValue(part.trim()));
      }
    }
    AriResponses.json(ctx, 200, filtered.put("sandbox", true));
  }

  private void events(RoutingContext ctx) {
    List<String> apps = commaSeparated(ctx.queryParam("app"));
    if (apps.isEmpty()) {
      AriResponses.error(ctx, 400, "HTTP request is missing param: [app]");
      return;
    }
    if (!ctx.request().canUpgradeToWebSocket()) {
      AriResponses.error(ctx, 400, "Expected a WebSocket upgrade");
      return;
    }
    ctx.request().toWebSocket()
        .onSuccess(socket -> streams.attach(apps, socket))
        .onFailure(e -> LOG.debug("WebSocket upgrade for applications {} failed", apps, e));
  }

  /**
   * The channels live when the request came, written {@link #CHANNELS_PER_TURN} per turn of the event loop: with
   * 100,000 calls ringing, encoding them all at once held the sandbox's loop (and its calls' events) for seconds.
   */
  private void listChannels(RoutingContext ctx) {
    List<SimulatedCall> live = new ArrayList<>(calls.live());
    HttpServerResponse response = ctx.response().setStatusCode(200).setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    writeChannels(ctx, response, live, 0);
  }

  private void writeChannels(RoutingContext ctx, HttpServerResponse response, List<SimulatedCall> live, int from) {
    if (response.closed()) {
      return;
    }
    int to = Math.min(live.size(), from + CHANNELS_PER_TURN);
    Buffer chunk = Buffer.buffer(from == 0 ? "[" : "");
    for (int i = from; i < to; i++) {
      chunk.appendString(i == 0 ? "" : ",").appendString(live.get(i).json());
    }
    if (to >= live.size()) {
      response.end(chunk.appendString("]"));
      return;
    }
    response.write(chunk);
    ctx.vertx().runOnContext(v -> writeChannels(ctx, response, live, to));
  }

  private void getChannel(RoutingContext ctx) {
    SimulatedCall call = calls.find(ctx.pathParam("channelId"));
    if (call == null) {
      AriResponses.error(ctx, 404, "Channel not found");
      return;
    }
    AriResponses.text(ctx, 200, call.json());
  }

  private void hangup(RoutingContext ctx) {
    SimulatedCall call = calls.find(ctx.pathParam("channelId"));
    if (call == null) {
      AriResponses.error(ctx, 404, "Channel not found");
      return;
    }
    String reasonCode = param(ctx, "reason_code");
    String reason = param(ctx, "reason");
    int cause = HangupCauses.NORMAL_CLEARING;
    if (reasonCode != null && reason != null) {
      AriResponses.error(ctx, 400, "The reason and reason_code can't both be specified");
      return;
    }
    if (reasonCode != null) {
      try {
        cause = Integer.parseInt(reasonCode.trim());
      } catch (NumberFormatException e) {
        AriResponses.error(ctx, 400, "Invalid reason for hangup provided");
        return;
      }
    } else if (reason != null) {
      OptionalInt byName = HangupCauses.forReason(reason);
      if (byName.isEmpty()) {
        AriResponses.error(ctx, 400, "Invalid reason for hangup provided");
        return;
      }
      cause = byName.getAsInt();
    }
    // Asterisk publishes the hang-up request before it answers 204.
    call.hangUpByClient(cause);
    AriResponses.noContent(ctx);
  }

  private void continueInDialplan(RoutingContext ctx) {
    SimulatedCall call = calls.find(ctx.pathParam("channelId"));
    if (call == null) {
      AriResponses.error(ctx, 404, "Channel not found");
      return;
    }
    if (!call.inStasis()) {
      AriResponses.error(ctx, 409, "Channel not in Stasis application");
      return;
    }
    String context = param(ctx, "context");
    String extension = param(ctx, "extension");
    int priority;
    try {
      String given = param(ctx, "priority");
      priority = given == null ? 0 : Integer.parseInt(given.trim());
    } catch (NumberFormatException e) {
      AriResponses.error(ctx, 400, "priority must be an integer");
      return;
    }
    AriResponses.noContent(ctx);
    call.continueInDialplan(context, extension, priority);
  }

  /** The first value of a query parameter, or null. */
  static String param(RoutingContext ctx, String name) {
    List<String> values = ctx.queryParam(name);
    return values.isEmpty() ? null : values.get(0);
  }

  static List<String> commaSeparated(List<String> values) {
    List<String> parts = new ArrayList<>();
    for (String value : values) {
      for (String part : value.split(",")) {
        if (!part.isBlank()) {
          parts.add(part.trim());
        }
      }
    }
    return parts;
  }
}
