package dev.contactcenter.ari;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.contactcenter.bus.OriginateCommand;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.net.URI;
import java.util.HashSet;
import java.util.Set;

/**
 * ARI REST calls the service makes, over one pooled keep-alive WebClient with basic auth and a timeout on each
 * request. Non-2xx answers fail with {@link AriException} carrying the status and Asterisk's message.
 */
public final class AriClient {

  private static final JsonFactory JSON = new JsonFactory();

  private final Vertx vertx;
  private final WebClient client;
  private final String basePath;
  /** The basic-auth header, encoded once rather than on every request. */
  private final String authorization;
  private final String app;
  private final long timeoutMs;

  public AriClient(Vertx vertx, AriSettings settings) {
    URI uri = URI.create(settings.httpUrl());
    boolean tls = "https".equals(uri.getScheme());
    WebClientOptions options = new WebClientOptions()
        .setDefaultHost(uri.getHost())
        .setDefaultPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80)
        .setSsl(tls)
        .setKeepAlive(true)
        .setConnectTimeout(Math.min(settings.requestTimeoutMs(), 3000))
        .setUserAgent("contact-center-api");
    this.vertx = vertx;
    this.client = WebClient.create(vertx, options, new PoolOptions().setHttp1MaxSize(32));
    this.basePath = (uri.getPath() == null ? "" : uri.getPath().replaceAll("/$", "")) + "/ari";
    this.authorization = "Basic " + java.util.Base64.getEncoder().encodeToString(
        (settings.username() + ":" + settings.password()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    this.app = settings.app();
    this.timeoutMs = settings.requestTimeoutMs();
  }

  /** Creates the channel (id = call id) into our Stasis app, so the app follows it from the first event. */
  public Future<JsonObject> originate(OriginateCommand call, String endpoint) {
    HttpRequest<Buffer> request = request(HttpMethod.POST, "/channels")
        .addQueryParam("endpoint", endpoint)
        .addQueryParam("app", app)
        .addQueryParam("appArgs", "call," + call.callId())
        .addQueryParam("channelId", call.callId())
        .addQueryParam("timeout", Integer.toString(Math.max(1, (call.timeoutMs() + 999) / 1000)));
    if (call.callerId() != null) {
      request.addQueryParam("callerId", call.callerId());
    }
    if (call.variables() == null || call.variables().isEmpty()) {
      // Everything is in the query: no JSON body to build, encode and (on the other side) parse.
      return request.send().compose(AriClient::jsonObject);
    }
    JsonObject variables = new JsonObject();
    call.variables().forEach(entry -> variables.put(entry.getKey(), String.valueOf(entry.getValue())));
    return request.sendJsonObject(new JsonObject().put("variables", variables)).compose(AriClient::jsonObject);
  }

  /** Keeps the app subscribed to the channel after it leaves Stasis, so its events keep coming until it ends. */
  public Future<Void> subscribe(String channelId) {
    return request(HttpMethod.POST, "/applications/" + app + "/subscription")
        .addQueryParam("eventSource", "channel:" + channelId).send().compose(AriClient::noContent);
  }

  /** Sends the answered channel from Stasis into the IVR dialplan. */
  public Future<Void> continueInDialplan(String channelId, String context, String extension, int priority) {
    return request(HttpMethod.POST, "/channels/" + channelId + "/continue")
        .addQueryParam("context", context).addQueryParam("extension", extension)
        .addQueryParam("priority", Integer.toString(priority)).send().compose(AriClient::noContent);
  }

  /** Lets a channel that entered the app from the dialplan go on with the priority after its {@code Stasis()}. */
  public Future<Void> continueToNextPriority(String channelId) {
    return request(HttpMethod.POST, "/channels/" + channelId + "/continue").send().compose(AriClient::noContent);
  }

  public Future<Void> hangup(String channelId) {
    return request(HttpMethod.DELETE, "/channels/" + channelId).addQueryParam("reason", "normal")
        .send().compose(AriClient::noContent);
  }

  /**
   * Ids of every channel Asterisk has now: one request, however many calls are active. Only the ids are read, on a
   * worker: with 100,000 calls the list is tens of megabytes, and building it as JSON objects on the event loop held
   * the loop (and the calls' events) for seconds every minute.
   */
  public Future<Set<String>> channelIds() {
    return request(HttpMethod.GET, "/channels").send().compose(response -> {
      if (response.statusCode() / 100 != 2) {
        return Future.failedFuture(AriException.of(response));
      }
      Buffer body = response.body() == null ? Buffer.buffer("[]") : response.body();
      return vertx.executeBlocking(() -> channelIdsOf(body), false);
    });
  }

  /** The {@code id} of each channel object of an ARI channel list. */
  static Set<String> channelIdsOf(Buffer list) throws IOException {
    Set<String> ids = new HashSet<>();
    try (JsonParser parser = JSON.createParser(list.getBytes())) {
      if (parser.nextToken() != JsonToken.START_ARRAY) {
        throw new IOException("the channel list is not a JSON array");
      }
      while (parser.nextToken() == JsonToken.START_OBJECT) {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          if (parser.nextToken() == JsonToken.VALUE_STRING && "id".equals(field)) {
            ids.add(parser.getText());
          } else {
            parser.skipChildren();
          }
        }
      }
      if (parser.currentToken() != JsonToken.END_ARRAY) {
        // A cut-off list must not make the calls missing from it look ended.
        throw new IOException("the channel list is not a complete array of channels");
      }
    }
    return ids;
  }

  public Future<JsonObject> channel(String channelId) {
    return request(HttpMethod.GET, "/channels/" + channelId).send().compose(AriClient::jsonObject);
  }

  public void close() {
    client.close();
  }

  private HttpRequest<Buffer> request(HttpMethod method, String path) {
    return client.request(method, basePath + path).putHeader("Authorization", authorization).timeout(timeoutMs);
  }

  private static Future<JsonObject> jsonObject(HttpResponse<Buffer> response) {
    if (response.statusCode() / 100 != 2) {
      return Future.failedFuture(AriException.of(response));
    }
    Buffer body = response.body();
    return Future.succeededFuture(body == null || body.length() == 0 ? new JsonObject() : body.toJsonObject());
  }

  private static Future<Void> noContent(HttpResponse<Buffer> response) {
    return response.statusCode() / 100 == 2 ? Future.succeededFuture() : Future.failedFuture(AriException.of(response));
  }

}
