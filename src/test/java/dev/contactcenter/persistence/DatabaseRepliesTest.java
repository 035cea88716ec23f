package dev.contactcenter.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.lifecycle.InFlight;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.net.ConnectException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The one mapping every {@code db.*} request (users, calls, transitions, dispatch, webhooks) answers a failure with:
 * a typed bus error passes as it is, a busy pool is "busy, retry", and the database's own text never reaches the
 * requester.
 */
@DisplayName("A database failure answered on the bus")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DatabaseRepliesTest {

  private static final String ADDRESS = "test.db.request";

  private Vertx vertx;
  private volatile Throwable failure;
  private volatile Function<Throwable, Throwable> translate = f -> null;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    DatabaseReplies replies = new DatabaseReplies(new InFlight());
    vertx.eventBus().<JsonObject>localConsumer(ADDRESS,
        msg -> replies.reply(msg, Future.failedFuture(failure), translate)).completion().await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private ReplyException answerTo(Throwable failed) {
    failure = failed;
    Throwable answer = vertx.eventBus().request(ADDRESS, new JsonObject())
        .<Throwable>map(reply -> null).otherwise(e -> e).await();
    assertThat(answer).isInstanceOf(ReplyException.class);
    return (ReplyException) answer;
  }

  @Test
  @DisplayName("a typed error (e.g. not found) and a translated one (unique violation -> conflict) keep code and text")
  void typedErrorsPass() {
    ReplyException notFound = answerTo(BusError.NOT_FOUND.exception("no call 42"));
    assertThat(notFound.failureCode()).isEqualTo(404);
    assertThat(notFound.getMessage()).isEqualTo("no call 42");

    translate = f -> f instanceof PgException ? BusError.CONFLICT.exception("username 'a' is taken") : null;
    ReplyException conflict = answerTo(new PgException("duplicate key value", "ERROR", "23505", null));
    assertThat(conflict.failureCode()).isEqualTo(409);
    assertThat(conflict.getMessage()).isEqualTo("username 'a' is taken");
  }

  @Test
  @DisplayName("a pool that waited its whole acquisition time is 503 busy, not database unavailable")
  void busyPool() {
    ReplyException busy = answerTo(new VertxException("Timeout", true));
    assertThat(busy.failureCode()).isEqualTo(503);
    assertThat(BusError.isBusy(busy)).isTrue();
  }

  @Test
  @DisplayName("a statement the database refused is 500, an unreachable database 503; neither carries its text")
  void databaseTextStaysInTheLog() {
    ReplyException refused = answerTo(new PgException("relation \"calls\" does not exist", "ERROR", "42P01", null));
    assertThat(refused.failureCode()).isEqualTo(500);
    assertThat(refused.getMessage()).isEqualTo("the database refused the request");

    ReplyException down = answerTo(new ConnectException("Connection refused: db.internal/10.0.0.5:5432"));
    assertThat(down.failureCode()).isEqualTo(503);
    assertThat(down.getMessage()).isEqualTo("database unavailable");
    assertThat(BusError.isBusy(down)).isFalse();
  }
}
