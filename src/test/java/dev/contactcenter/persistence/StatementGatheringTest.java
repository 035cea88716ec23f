package dev.contactcenter.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Under load a statement that would go alone waits a moment for company; after a quiet spell it goes at once")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StatementGatheringTest {

  private final Vertx vertx = Vertx.vertx();
  /** Each statement's rows, in the order the statements were sent. */
  private final List<List<Integer>> statements = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private StatementBatcher<Integer, Integer> batcher(Context context, long busyWindowMs) {
    return new StatementBatcher<>(context, rows -> {
      statements.add(List.copyOf(rows));
      Promise<Integer[]> done = Promise.promise();
      context.runOnContext(v -> done.complete(rows.toArray(Integer[]::new)));
      return done.future();
    }, row -> null, 512, TimeUnit.MILLISECONDS.toNanos(busyWindowMs));
  }

  /** Runs {@code step} on the context and waits for the future it returns. */
  private static <T> T on(Context context, java.util.function.Supplier<Future<T>> step) throws Exception {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> step.get().onComplete(result));
    return result.future().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("right after a statement, two requests a turn apart share the next one; the first after a pause does not wait")
  void gathersOnlyUnderLoad() throws Exception {
    Context context = vertx.getOrCreateContext();
    // A generous window, so a slow machine's pauses between the requests below still count as load.
    StatementBatcher<Integer, Integer> batcher = batcher(context, 10_000);

    // Right after the first request's statement: the third request comes one turn of the loop after the second.
    // Without gathering the second would have gone alone in between.
    on(context, () -> batcher.submit(1).compose(firstDone -> {
      Future<Integer> second = batcher.submit(2);
      Promise<Integer> third = Promise.promise();
      context.runOnContext(v -> batcher.submit(3).onComplete(third));
      return Future.all(second, third.future()).map(all -> 0);
    }));
    assertThat(statements).containsExactly(List.of(1), List.of(2, 3));

    // After a quiet spell: sent in the turn after it arrived, before a gathering timer could fire.
    StatementBatcher<Integer, Integer> quiet = batcher(context, 20);
    on(context, () -> quiet.submit(4));
    Thread.sleep(100);
    int before = statements.size();
    Boolean sentAtOnce = on(context, () -> {
      quiet.submit(5);
      Promise<Boolean> sent = Promise.promise();
      context.runOnContext(v -> sent.complete(statements.size() == before + 1));
      return sent.future();
    });
    assertThat(sentAtOnce).as("a lone request after a pause goes in the next turn").isTrue();
    assertThat(statements.get(before)).containsExactly(5);
  }

  @Test
  @DisplayName("the wait for company ends as soon as enough requests wait: they go together in the next turn")
  void waitEndsWithCompany() throws Exception {
    Context context = vertx.getOrCreateContext();
    StatementBatcher<Integer, Integer> batcher = batcher(context, 10_000);
    on(context, () -> batcher.submit(0));
    int before = statements.size();
    // Under load, the first of these starts the wait; the last makes SECOND_STATEMENT_MIN.
    Boolean sentNextTurn = on(context, () -> {
      for (int row = 1; row <= StatementBatcher.SECOND_STATEMENT_MIN; row++) {
        batcher.submit(row);
      }
      Promise<Boolean> sent = Promise.promise();
      context.runOnContext(v -> sent.complete(statements.size() == before + 1));
      return sent.future();
    });
    assertThat(sentNextTurn).as("sent in the turn after the last arrived, not after the wait").isTrue();
    assertThat(statements.get(before)).hasSize(StatementBatcher.SECOND_STATEMENT_MIN);
  }
}
