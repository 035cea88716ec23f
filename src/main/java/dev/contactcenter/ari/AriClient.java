package dev.contactcenter.ari;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.contactcenter.bus.OriginateCommand;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.netty.handler.codec.http.QueryStringEncoder;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * ARI REST calls the service makes, over one pooled keep-alive HttpClient with basic auth and a timeout on each
 * request. Non-2xx answers fail with {@link AriException} carrying the status and Asterisk's message.
 *
 * <p>The plain client, not WebClient: every answered call makes three of these requests (originate, subscription,
 * continue), and WebClient's per-request layers (its interceptor chain, request options and header maps rebuilt
 * from its defaults) were a visible share of the service's CPU per call. Headers are built once here.
 */
public final class AriClient {

  private static final JsonFactory JSON = new JsonFactory();

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final String basePath;
  /** Authorization (encoded once) and User-Agent; the client copies them into each request. */
  private final MultiMap headers;
  private final MultiMap jsonHeaders;
  private final String app;
  private final long timeoutMs;

  public AriClient(Vertx vertx, AriSettings settings) {
    URI uri = URI.create(settings.httpUrl());
    boolean tls = "https".equals(uri.getScheme());
    HttpClientOptions options = new HttpClientOptions()
        .setDefaultHost(uri.getHost())
        .setDefaultPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80)
        .setSsl(tls)
        .setKeepAlive(true)
        .setConnectTimeout(Math.min(settings.requestTimeoutMs(), 3000));
    this.vertx = vertx;
    this.client = vertx.httpClientBuilder().with(options).with(new PoolOptions().setHttp1MaxSize(32)).build();
    this.basePath = (uri.getPath() == null ? "" : uri.getPath().replaceAll("/$", "")) + "/ari";
    String authorization = "Basic " + java.util.Base64.getEncoder().encodeToString(
        (settings.username() + ":" + settings.password()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    this.headers = HttpHeaders.headers().add(HttpHeaders.AUTHORIZATION, authorization)
        .add(HttpHeaders.USER_AGENT, "contact-center-api");
    this.jsonHeaders = HttpHeaders.headers().addAll(headers)
        .add(HttpHeaders.CONTENT_TYPE, "application/json");
    this.app = settings.app();
    this.timeoutMs = settings.requestTimeoutMs();
  }

  /**
   * Creates the channel (id = call id) into our Stasis app, so the app follows it from the first event. Answers the
   * created channel's {@code id} and {@code creationtime}, the only fields the caller reads: parsing the whole
   * channel object was a visible share of the service's CPU per call.
   */
  public Future<JsonObject> originate(OriginateCommand call, String endpoint) {
    QueryStringEncoder query = new QueryStringEncoder(basePath + "/channels");
    query.addParam("endpoint", endpoint);
    query.addParam("app", app);
    query.addParam("appArgs", "call," + call.callId());
    query.addParam("channelId", call.callId());
    query.addParam("timeout", Integer.toString(Math.max(1, (call.timeoutMs() + 999) / 1000)));
    if (call.callerId() != null) {
      query.addParam("callerId", call.callerId());
    }
    if (call.variables() == null || call.variables().isEmpty()) {
      // Everything is in the query: no JSON body to build, encode and (on the other side) parse.
      return send(HttpMethod.POST, query.toString(), null).compose(AriClient::createdChannel);
    }
    JsonObject variables = new JsonObject();
    call.variables().forEach(entry -> variables.put(entry.getKey(), String.valueOf(entry.getValue())));
    return send(HttpMethod.POST, query.toString(), new JsonObject().put("variables", variables).toBuffer())
        .compose(AriClient::createdChannel);
  }

  /** Keeps the app subscribed to the channel after it leaves Stasis, so its events keep coming until it ends. */
  public Future<Void> subscribe(String channelId) {
    QueryStringEncoder query = new QueryStringEncoder(basePath + "/applications/" + app + "/subscription");
    query.addParam("eventSource", "channel:" + channelId);
    return send(HttpMethod.POST, query.toString(), null).compose(AriClient::noContent);
  }

  /**
   * Asks Asterisk to send our app only events of these types (ARI {@code eventFilter}, Asterisk 13.26 and 16.3 on):
   * it then neither builds nor sends the others. The filter belongs to the application, so it applies to the socket
   * that registered it.
   */
  public Future<Void> allowOnlyEvents(Collection<String> types) {
    JsonArray allowed = new JsonArray();
    types.stream().sorted().forEach(type -> allowed.add(new JsonObject().put("type", type)));
    return send(HttpMethod.PUT, basePath + "/applications/" + app + "/eventFilter",
        new JsonObject().put("allowed", allowed).put("disallowed", new JsonArray()).toBuffer())
        .compose(AriClient::noContent);
  }

  /** Sends the answered channel from Stasis into the IVR dialplan. */
  public Future<Void> continueInDialplan(String channelId, String context, String extension, int priority) {
    QueryStringEncoder query = new QueryStringEncoder(basePath + "/channels/" + channelId + "/continue");
    query.addParam("context", context);
    query.addParam("extension", extension);
    query.addParam("priority", Integer.toString(priority));
    return send(HttpMethod.POST, query.toString(), null).compose(AriClient::noContent);
  }

  /** Lets a channel that entered the app from the dialplan go on with the priority after its {@code Stasis()}. */
  public Future<Void> continueToNextPriority(String channelId) {
    return send(HttpMethod.POST, basePath + "/channels/" + channelId + "/continue", null)
        .compose(AriClient::noContent);
  }

  public Future<Void> hangup(String channelId) {
    return send(HttpMethod.DELETE, basePath + "/channels/" + channelId + "?reason=normal", null)
        .compose(AriClient::noContent);
  }

  /**
   * Ids of every channel Asterisk has now: one request, however many calls are active. Only the ids are read, on a
   * worker: with 100,000 calls the list is tens of megabytes, and building it as JSON objects on the event loop held
   * the loop (and the calls' events) for seconds every minute.
   */
  public Future<Set<String>> channelIds() {
    return send(HttpMethod.GET, basePath + "/channels", null).compose(response -> {
      if (response.status() / 100 != 2) {
        return Future.failedFuture(AriException.of(response));
      }
      Buffer body = response.body().length() == 0 ? Buffer.buffer("[]") : response.body();
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
    return send(HttpMethod.GET, basePath + "/channels/" + channelId, null).compose(AriClient::jsonObject);
  }

  public void close() {
    client.close();
  }

  /** A status and a whole body: what every ARI answer is read as. */
  record Answer(int status, String statusMessage, Buffer body) {
  }

  /** One request; the body, if any, is JSON. The timeout covers connecting, sending and the whole answer. */
  private Future<Answer> send(HttpMethod method, String uri, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(method).setURI(uri).setTimeout(timeoutMs)
        .setHeaders(body == null ? headers : jsonHeaders);
    return client.request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body()
            .map(content -> new Answer(response.statusCode(), response.statusMessage(), content)));
  }

  private static Future<JsonObject> jsonObject(Answer response) {
    if (response.status() / 100 != 2) {
      return Future.failedFuture(AriException.of(response));
    }
    Buffer body = response.body();
    return Future.succeededFuture(body.length() == 0 ? new JsonObject() : body.toJsonObject());
  }

  private static Future<JsonObject> createdChannel(Answer response) {
    if (response.status() / 100 != 2) {
      return Future.failedFuture(AriException.of(response));
    }
    try {
      return Future.succeededFuture(channelHead(response.body()));
    } catch (IOException e) {
      return Future.failedFuture(new DecodeException("the originate answer is not a JSON object: " + e.getMessage()));
    }
  }

  /** The top-level {@code id} and {@code creationtime} of a channel object (absent ones left out). */
  static JsonObject channelHead(Buffer channel) throws IOException {
    JsonObject head = new JsonObject();
    if (channel.length() == 0) {
      return head;
    }
    try (JsonParser parser = JSON.createParser(channel.getBytes())) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not an object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if (value == JsonToken.VALUE_STRING && ("id".equals(field) || "creationtime".equals(field))) {
          head.put(field, parser.getText());
        } else {
          parser.skipChildren();
        }
      }
      if (parser.currentToken() != JsonToken.END_OBJECT) {
        throw new IOException("not a complete object");
      }
    }
    return head;
  }

  private static Future<Void> noContent(Answer response) {
    return response.status() / 100 == 2 ? Future.succeededFuture() : Future.failedFuture(AriException.of(response));
  }
}
