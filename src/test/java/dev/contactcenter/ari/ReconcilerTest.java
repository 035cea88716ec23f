package dev.contactcenter.ari;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_ACTIVE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandaloneAri;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** When reconciliation runs: a run requested while one is in progress is never dropped, a failed run is retried. */
@DisplayName("Reconciliation runs")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReconcilerTest {

  private Vertx vertx;
  private StandaloneAri ari;
  private AriSettings settings;
  private final AtomicInteger runs = new AtomicInteger();
  /** When each run's query reached the database side (nanoTime), and when the refused one was answered. */
  private final List<Long> runStarts = new CopyOnWriteArrayList<>();
  private final AtomicLong refusedAt = new AtomicLong();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    ari = StandaloneAri.start("secret");
    settings = ari.settings("cc-reconciler");
  }

  @AfterEach
  void stop() {
    vertx.close().await();
    if (ari != null) {
      ari.close();
    }
  }

  /** Answers the active-calls query after 300 ms (nothing active); {@code failFirst} fails the first one. */
  private void activeCalls(int failFirst) {
    vertx.eventBus().<JsonObject>consumer(CALLS_ACTIVE, msg -> {
      int run = runs.incrementAndGet();
      runStarts.add(System.nanoTime());
      vertx.setTimer(300, id -> {
        if (run <= failFirst) {
          refusedAt.set(System.nanoTime());
          BusError.UNAVAILABLE.reply(msg, "database unavailable");
        } else {
          msg.reply(new JsonObject().put("items", new JsonArray()));
        }
      });
    }).completion().await();
  }

  private void onContext(java.util.function.Consumer<Reconciler> action) {
    vertx.runOnContext(v -> {
      AriClient ari = new AriClient(vertx, settings);
      Reconciler reconciler = new Reconciler(vertx, ari, new HashMap<>(),
          new TransitionRecorder(vertx, settings.timeouts(), () -> { }), new IvrHandoff(ari), settings.timeouts(), OwnerEpoch.none());
      action.accept(reconciler);
    });
  }

  @Test
  @DisplayName("requests arriving during a run (an event-stream reconnect, say) cause exactly one more run")
  void requestDuringRunIsNotDropped() throws Exception {
    activeCalls(0);
    onContext(reconciler -> {
      reconciler.request();
      reconciler.streamLost();
      reconciler.request();
      reconciler.request();
    });
    // What counts is how many runs, not how soon: the first one's cold start can take seconds on a loaded machine.
    Calls.eventually(Duration.ofSeconds(20), () -> assertThat(runs.get()).isEqualTo(2));
    Thread.sleep(1_000);
    assertThat(runs.get()).as("coalesced into one rerun").isEqualTo(2);
  }

  @Test
  @DisplayName("a run the database could not answer is retried within seconds, not a minute later")
  void failedRunIsRetried() {
    activeCalls(1);
    onContext(Reconciler::request);
    // Measured from the refusal, not from the test's start: the first run's cold start (WebClient classes, the first
    // connection to the sandbox) took seconds of a loaded 2-core machine before the retry timer was even set.
    Calls.eventually(Duration.ofSeconds(30), () -> assertThat(runs.get()).isEqualTo(2));
    long retryAfterMs = (runStarts.get(1) - refusedAt.get()) / 1_000_000;
    long maxRetryMs = settings.timeouts().maxRetryMs();
    assertThat(retryAfterMs).as("retry after the refusal (ms); a loaded machine fires a timer late, not early")
        .isBetween(maxRetryMs - 100, maxRetryMs + 8_000);
  }
}
