package dev.contactcenter.sandbox;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.UUID;

/**
 * The sandbox's {@code POST /ari/channels}: checks an originate request in the order Asterisk does, answers with
 * Asterisk's status codes and messages, and starts the simulated call.
 */
final class SandboxOriginate {

  private final CallSimulator calls;
  private final EventStreams streams;

  SandboxOriginate(CallSimulator calls, EventStreams streams) {
    this.calls = calls;
    this.streams = streams;
  }

  /** {@code POST /channels} and {@code POST /channels/{channelId}}; parameters may also come in the body. */
  void handle(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().isEmpty() ? new JsonObject() : ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      AriResponses.error(ctx, 400, "Request body is not a JSON object");
      return;
    }
    if (body == null) {
      body = new JsonObject();
    }
    if (body.containsKey("variables") && !(body.getValue("variables") instanceof JsonObject)) {
      AriResponses.error(ctx, 400, "variables must be a JSON object");
      return;
    }
    String endpoint = arg(ctx, body, "endpoint");
    if (endpoint == null || endpoint.isEmpty()) {
      AriResponses.error(ctx, 400, "Endpoint must be specified");
      return;
    }
    DialTarget target;
    try {
      target = DialTarget.parse(endpoint);
    } catch (IllegalArgumentException e) {
      AriResponses.error(ctx, 400, e.getMessage());
      return;
    }
    String app = arg(ctx, body, "app");
    if (app == null || app.isEmpty()) {
      AriResponses.error(ctx, 400, arg(ctx, body, "extension") == null
          ? "Application or extension must be specified"
          : "The ARI sandbox only simulates origination into a Stasis application (app)");
      return;
    }
    int timeoutSeconds;
    try {
      String timeout = arg(ctx, body, "timeout");
      timeoutSeconds = timeout == null || timeout.isEmpty() ? 30 : Integer.parseInt(timeout.trim());
    } catch (NumberFormatException e) {
      AriResponses.error(ctx, 400, "timeout must be an integer");
      return;
    }
    if (!target.isKnownTech()) {
      // Asterisk cannot allocate a channel for a driver that is not loaded.
      AriResponses.allocationFailed(ctx);
      return;
    }
    if (!streams.isRegistered(app)) {
      AriResponses.error(ctx, 400, "Application '" + app + "' not registered");
      return;
    }
    String channelId = firstNonEmpty(ctx.pathParam("channelId"), arg(ctx, body, "channelId"));
    if (channelId == null) {
      channelId = UUID.randomUUID().toString();
    }
    if (calls.find(channelId) != null) {
      AriResponses.error(ctx, 409, "Channel with given unique ID already exists");
      return;
    }
    String otherChannelId = firstNonEmpty(arg(ctx, body, "otherChannelId"), channelId + ";2");
    String appArgs = arg(ctx, body, "appArgs");
    List<String> args = appArgs == null || appArgs.isEmpty() ? List.of() : List.of(appArgs.split(",", -1));
    SimulatedCall call = calls.create(new Origination(channelId, otherChannelId, target, app, args,
        CallerId.parse(arg(ctx, body, "callerId")), Origination.dialTimeoutMs(timeoutSeconds)));
    AriResponses.text(ctx, 200, call.json());
    call.start();
  }

  /** A query parameter, or the same key in the JSON body as ARI allows for originate. */
  private static String arg(RoutingContext ctx, JsonObject body, String name) {
    String value = SandboxRoutes.param(ctx, name);
    if (value == null && body.containsKey(name) && !(body.getValue(name) instanceof JsonObject)) {
      value = String.valueOf(body.getValue(name));
    }
    return value;
  }

  private static String firstNonEmpty(String first, String second) {
    return first != null && !first.isEmpty() ? first : second;
  }
}
