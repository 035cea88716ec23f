package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ARI event filter against an Asterisk stand-in that takes it, refuses it, or takes it late. */
@DisplayName("ARI event filter")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AriEventFilterTest {

  private static final long RETRY_MS = 100;

  private Vertx vertx;
  private HttpServer server;
  private AriClient ari;
  /** Statuses the stand-in answers to successive PUTs; the last one repeats. */
  private volatile List<Integer> answers = List.of(200);
  private final AtomicInteger puts = new AtomicInteger();
  private final List<String> bodies = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      if (!request.path().equals("/ari/applications/cc/eventFilter") || !"PUT".equals(request.method().name())) {
        request.response().setStatusCode(404).end();
        return;
      }
      int n = puts.getAndIncrement();
      bodies.add(body.toString());
      int status = answers.get(Math.min(n, answers.size() - 1));
      request.response().setStatusCode(status).putHeader("Content-Type", "application/json")
          .end(status == 200 ? "{\"name\":\"cc\"}" : "{\"message\":\"Invalid method\"}");
    })).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    ari = new AriClient(vertx, new AriSettings("http://127.0.0.1:" + server.actualPort(), "u", "p", "cc",
        "Local/{number}@callee/n", 2_000, false));
  }

  @AfterEach
  void stop() throws Exception {
    ari.close();
    vertx.close().await(5, TimeUnit.SECONDS);
  }

  private AriEventFilter filter() {
    return new AriEventFilter(vertx, ari, Set.of("StasisStart", "Dial"), "default", RETRY_MS);
  }

  @Test
  @DisplayName("asks for exactly the types the call path reads, allowed only, once per connect")
  void setsTheFilter() throws Exception {
    AriEventFilter filter = filter();
    vertx.runOnContext(v -> filter.connected());
    awaitPuts(1);
    Thread.sleep(5 * RETRY_MS);
    assertThat(puts.get()).isEqualTo(1);
    assertThat(new JsonObject(bodies.get(0))).isEqualTo(new JsonObject()
        .put("allowed", new JsonArray().add(new JsonObject().put("type", "Dial"))
            .add(new JsonObject().put("type", "StasisStart")))
        .put("disallowed", new JsonArray()));

    vertx.runOnContext(v -> filter.connected());
    awaitPuts(2);
  }

  @Test
  @DisplayName("an Asterisk that refuses it is asked a few times, then left alone")
  void refusedFilterIsRetriedThenLeft() throws Exception {
    answers = List.of(405);
    AriEventFilter filter = filter();
    vertx.runOnContext(v -> filter.connected());
    awaitPuts(AriEventFilter.ATTEMPTS);
    Thread.sleep(5 * RETRY_MS);
    assertThat(puts.get()).isEqualTo(AriEventFilter.ATTEMPTS);
  }

  @Test
  @DisplayName("a refusal followed by success stops retrying; a lost socket cancels the retries of its connection")
  void retriesStopOnSuccessAndOnLoss() throws Exception {
    answers = List.of(503, 200);
    AriEventFilter filter = filter();
    vertx.runOnContext(v -> filter.connected());
    awaitPuts(2);
    Thread.sleep(5 * RETRY_MS);
    assertThat(puts.get()).isEqualTo(2);

    answers = List.of(503);
    puts.set(0);
    vertx.runOnContext(v -> filter.connected());
    awaitPuts(1);
    vertx.runOnContext(v -> filter.stopped());
    Thread.sleep(5 * RETRY_MS);
    assertThat(puts.get()).isEqualTo(1);
  }

  private void awaitPuts(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (puts.get() < n && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(puts.get()).isGreaterThanOrEqualTo(n);
  }
}
