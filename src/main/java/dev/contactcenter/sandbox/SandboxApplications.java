package dev.contactcenter.sandbox;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * ARI's {@code /applications/{app}} resources the service uses: the application's details, its subscriptions to
 * channels that left Stasis, and its event filter.
 */
final class SandboxApplications {

  private static final List<String> EVENT_SOURCE_SCHEMES =
      List.of("channel:", "bridge:", "endpoint:", "deviceState:");

  private final CallSimulator calls;
  private final EventStreams streams;

  SandboxApplications(CallSimulator calls, EventStreams streams) {
    this.calls = calls;
    this.streams = streams;
  }

  void get(RoutingContext ctx) {
    String app = ctx.pathParam("app");
    if (!streams.isRegistered(app)) {
      AriResponses.error(ctx, 404, "Application not found");
      return;
    }
    JsonArray channelIds = new JsonArray();
    for (SimulatedCall call : calls.live()) {
      if (call.followedBy(app)) {
        channelIds.add(call.id());
        if (call.peerId() != null) {
          channelIds.add(call.peerId());
        }
      }
    }
    AriResponses.json(ctx, 200, application(app, channelIds));
  }

  /** {@code PUT /applications/{app}/eventFilter}: which event types the application's socket receives. */
  void filterEvents(RoutingContext ctx) {
    String app = ctx.pathParam("app");
    if (!streams.isRegistered(app)) {
      AriResponses.error(ctx, 404, "Application not found");
      return;
    }
    JsonObject body;
    try {
      body = ctx.body().length() == 0 ? null : ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      AriResponses.error(ctx, 400, "The body is not a JSON object");
      return;
    }
    try {
      streams.filter(app, streams.filter(app).updatedBy(body));
    } catch (IllegalArgumentException e) {
      AriResponses.error(ctx, 400, e.getMessage());
      return;
    }
    get(ctx);
  }

  void subscribe(RoutingContext ctx) {
    String app = ctx.pathParam("app");
    List<String> sources = SandboxRoutes.commaSeparated(ctx.queryParam("eventSource"));
    if (sources.isEmpty()) {
      AriResponses.error(ctx, 400, "Missing parameter eventSource");
      return;
    }
    if (!streams.isRegistered(app)) {
      AriResponses.error(ctx, 404, "Application not found");
      return;
    }
    List<SimulatedCall> subscribed = new ArrayList<>();
    for (String source : sources) {
      if (EVENT_SOURCE_SCHEMES.stream().noneMatch(source::startsWith)) {
        AriResponses.error(ctx, 400, "Invalid event source URI scheme");
        return;
      }
      SimulatedCall call = source.startsWith("channel:") ? findEitherHalf(source.substring(8)) : null;
      if (call == null) {
        // The sandbox has no bridges, endpoints or device states to subscribe to.
        AriResponses.error(ctx, 422, "Event source does not exist");
        return;
      }
      subscribed.add(call);
    }
    JsonArray channelIds = new JsonArray();
    for (SimulatedCall call : subscribed) {
      call.subscribe();
      channelIds.add(call.id());
      if (call.peerId() != null) {
        channelIds.add(call.peerId());
      }
    }
    AriResponses.json(ctx, 200, application(app, channelIds));
  }

  private SimulatedCall findEitherHalf(String channelId) {
    SimulatedCall call = calls.find(channelId);
    if (call == null && channelId.endsWith(";2")) {
      call = calls.find(channelId.substring(0, channelId.length() - 2));
    }
    return call;
  }

  private JsonObject application(String app, JsonArray channelIds) {
    return streams.filter(app).describe(new JsonObject()
        .put("name", app)
        .put("channel_ids", channelIds)
        .put("bridge_ids", new JsonArray())
        .put("endpoint_ids", new JsonArray())
        .put("device_names", new JsonArray()));
  }
}
