package dev.contactcenter.webhooks;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One HTTP attempt of one delivery: re-checks the URL against the {@link AddressPolicy} (DNS may have changed
 * since the subscription), connects to the address it checked, signs, posts, and reads at most
 * {@link WebhookSettings#RESPONSE_BODY_CAP} bytes of the answer. Redirects are not followed.
 */
final class WebhookSender {

  /** What an attempt gave: an HTTP status, or none and an error (refused, connect failure, timeout). */
  record Attempt(Integer statusCode, int latencyMs, String error) {
    boolean success() {
      return statusCode != null && statusCode >= 200 && statusCode < 300;
    }

    boolean gone() {
      return statusCode != null && statusCode == 410;
    }
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final AddressPolicy policy;
  private final WebhookSettings settings;

  WebhookSender(Vertx vertx, HttpClient client, AddressPolicy policy, WebhookSettings settings) {
    this.vertx = vertx;
    this.client = client;
    this.policy = policy;
    this.settings = settings;
  }

  /** Never fails: every problem is an {@link Attempt} with an error. */
  Future<Attempt> send(JsonObject delivery) {
    long started = System.nanoTime();
    String url = delivery.getString("url");
    return vertx.executeBlocking(() -> policy.check(url), false)
        .compose(target -> post(target, delivery))
        .map(response -> new Attempt(response.status, elapsedMs(started),
            response.status >= 200 && response.status < 300 ? null : "HTTP " + response.status + snippet(response.body)))
        .recover(failure -> Future.succeededFuture(new Attempt(null, elapsedMs(started), describe(failure))));
  }

  private record Answer(int status, Buffer body) {
  }

  private Future<Answer> post(AddressPolicy.Target target, JsonObject delivery) {
    String body = delivery.getString("body");
    String webhookId = delivery.getString("webhook_id");
    long timestamp = System.currentTimeMillis() / 1000;
    JsonArray secretsJson = delivery.getJsonArray("secrets", new JsonArray());
    if (secretsJson.isEmpty()) {
      return Future.failedFuture(new IllegalStateException("no signing secret"));
    }
    List<String> secrets = secretsJson.stream().map(String::valueOf).toList();
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setServer(SocketAddress.inetSocketAddress(target.port(), target.address().getHostAddress()))
        .setHost(target.host())
        .setPort(target.port())
        .setSsl(target.tls())
        .setURI(target.requestUri())
        .setFollowRedirects(false)
        .setConnectTimeout(settings.connectTimeoutMs())
        .setIdleTimeout(settings.responseTimeoutMs())
        .putHeader("Content-Type", "application/json")
        .putHeader("User-Agent", "contact-center-api-webhooks")
        .putHeader("webhook-id", webhookId)
        .putHeader("webhook-timestamp", Long.toString(timestamp))
        .putHeader("webhook-signature", WebhookSignature.header(secrets, webhookId, timestamp, body));
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    return client.request(options)
        .compose(request -> {
          sent.set(request);
          return request.send(Buffer.buffer(body));
        })
        .compose(this::readCapped)
        .timeout(settings.connectTimeoutMs() + (long) settings.responseTimeoutMs(), TimeUnit.MILLISECONDS)
        .onFailure(failure -> {
          // A receiver trickling its answer must not keep the connection (and a pool slot) after the deadline.
          HttpClientRequest request = sent.get();
          if (request != null) {
            request.reset();
          }
        });
  }

  /** Reads up to the cap, then drops the connection rather than read an unbounded answer. */
  private Future<Answer> readCapped(HttpClientResponse response) {
    Promise<Answer> done = Promise.promise();
    Buffer kept = Buffer.buffer();
    response.exceptionHandler(e -> done.tryComplete(new Answer(response.statusCode(), kept)));
    response.handler(chunk -> {
      int room = WebhookSettings.RESPONSE_BODY_CAP - kept.length();
      if (room > 0) {
        kept.appendBuffer(chunk.length() <= room ? chunk : chunk.getBuffer(0, room));
      }
      if (kept.length() >= WebhookSettings.RESPONSE_BODY_CAP && done.tryComplete(new Answer(response.statusCode(), kept))) {
        response.request().reset();
      }
    });
    response.endHandler(v -> done.tryComplete(new Answer(response.statusCode(), kept)));
    return done.future();
  }

  private static String snippet(Buffer body) {
    if (body == null || body.length() == 0) {
      return "";
    }
    String text = body.toString().replaceAll("[\\p{Cntrl}]", " ").strip();
    return text.isEmpty() ? "" : ": " + (text.length() > 200 ? text.substring(0, 200) : text);
  }

  private static String describe(Throwable failure) {
    if (failure instanceof AddressPolicy.Refused refused) {
      return "refused: URL " + refused.getMessage();
    }
    String message = failure.getMessage();
    String text = failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    return text.length() > 300 ? text.substring(0, 300) : text;
  }

  private static int elapsedMs(long startedNanos) {
    return (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - startedNanos) / 1_000_000);
  }
}
