package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.calls.CallState;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The wait of a graceful stop for calls before their IVR hand-off, on a real event loop. */
@DisplayName("Graceful stop waits for calls to reach their IVR")
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HandoffWaitTest {

  private Vertx vertx;
  private final Map<String, TrackedCall> calls = new HashMap<>();

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopVertx() {
    vertx.close().await();
  }

  private TrackedCall track(String id, CallState state) {
    TrackedCall call = new TrackedCall(id, "outbound-ivr", "s", 1, state);
    calls.put(id, call);
    return call;
  }

  /** Runs on one event loop, as in the ARI verticle. */
  private HandoffWait.Result await(long maxMs, Runnable meanwhile) throws Exception {
    Promise<HandoffWait.Result> result = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      new HandoffWait(vertx, calls).await(maxMs).onComplete(result);
      meanwhile.run();
    });
    return result.future().await(15, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("nothing before its hand-off: returns at once; calls already in their IVR are not waited for")
  void nothingToWaitFor() throws Exception {
    track("in-ivr", CallState.ANSWERED).inIvr = true;
    track("ended", CallState.RINGING).ended = true;
    long started = System.nanoTime();
    HandoffWait.Result result = await(5_000, () -> { });
    assertThat(result).isEqualTo(new HandoffWait.Result(0, 0));
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(1_000);
  }

  @Test
  @DisplayName("ringing calls: done once each is handed to its IVR or has ended")
  void waitsUntilEachIsHandedOffOrEnded() throws Exception {
    TrackedCall answers = track("answers", CallState.RINGING);
    TrackedCall hangsUp = track("hangs-up", CallState.RINGING);
    track("in-ivr", CallState.ANSWERED).inIvr = true;
    long started = System.nanoTime();
    HandoffWait.Result result = await(10_000, () -> {
      vertx.setTimer(300, id -> answers.inIvr = true);
      vertx.setTimer(600, id -> hangsUp.ended = true);
    });
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(result).isEqualTo(new HandoffWait.Result(2, 0));
    assertThat(tookMs).isBetween(550L, 5_000L);
  }

  @Test
  @DisplayName("a call that rings on: the wait ends at the bound and says so")
  void boundedByMaxMs() throws Exception {
    track("rings-on", CallState.RINGING);
    TrackedCall answeredNotContinued = track("answered", CallState.ANSWERED);
    answeredNotContinued.continued = true;
    long started = System.nanoTime();
    HandoffWait.Result result = await(700, () -> { });
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(result).isEqualTo(new HandoffWait.Result(2, 2));
    assertThat(tookMs).isBetween(650L, 5_000L);
  }
}
