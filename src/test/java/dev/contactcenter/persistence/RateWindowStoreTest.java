package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.RATE_ACQUIRE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster-wide sliding windows (V10) behind two stores with their own pools, as two nodes would have them: the
 * count is exact under concurrency, the wait is right, and windows expire.
 */
@DisplayName("Rate windows in PostgreSQL, shared by every node")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RateWindowStoreTest {

  private Vertx vertx;
  private String databaseUrl;
  private final List<Pool> pools = new ArrayList<>();
  private final List<RateWindowStore> stores = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    databaseUrl = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(databaseUrl));
    vertx = Vertx.vertx();
    for (int i = 0; i < 2; i++) {
      Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4))
          .connectingTo(PgConnectOptions.fromUri(DatabaseUrl.parse(databaseUrl).reactiveUri())).using(vertx).build();
      RateWindowStore store = new RateWindowStore(vertx, pool);
      get(store.register().completion());
      pools.add(pool);
      stores.add(store);
    }
  }

  @AfterEach
  void stop() throws Exception {
    stores.forEach(RateWindowStore::stop);
    for (Pool pool : pools) {
      get(pool.close());
    }
    get(vertx.close());
  }

  @Test
  @DisplayName("60 concurrent requests through two nodes' stores with a limit of 20: exactly 20 allowed")
  void concurrentRequestsCountExactly() throws Exception {
    List<Future<Long>> answers = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      answers.add(acquire("token:203.0.113.5", 20, 60));
    }
    get(Future.join(answers));
    long allowed = answers.stream().filter(answer -> answer.result() == 0).count();
    assertThat(allowed).isEqualTo(20);
    assertThat(answers).filteredOn(answer -> answer.result() > 0)
        .allSatisfy(answer -> assertThat(answer.result()).isBetween(59L, 60L));
    assertThat(get(acquire("token:203.0.113.6", 20, 60))).as("another key, its own window").isZero();
  }

  @Test
  @DisplayName("a window of 1 s: the third request waits 1 s, after it the key is allowed again, and the purge "
      + "deletes expired windows")
  void windowsExpire() throws Exception {
    assertThat(get(acquire("token:a", 2, 1))).isZero();
    assertThat(get(acquire("token:a", 2, 1))).isZero();
    assertThat(get(acquire("token:a", 2, 1))).isEqualTo(1);
    assertThat(get(acquire("token:b", 5, 1))).isZero();
    assertThat(TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM rate_windows")).isEqualTo(2);
    Thread.sleep(1100);

    assertThat(get(stores.get(0).purge())).as("both windows expired").isEqualTo(2);
    assertThat(TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM rate_windows")).isZero();
    assertThat(get(acquire("token:a", 2, 1))).isZero();
  }

  @Test
  @DisplayName("a request without key, limit or window is refused with 400")
  void badRequestsAreRefused() {
    assertThatThrownBy(() -> get(vertx.eventBus().request(RATE_ACQUIRE, new JsonObject().put("limit", 3))))
        .hasMessageContaining("key, limit and window_seconds are required");
  }

  private Future<Long> acquire(String key, int limit, int windowSeconds) {
    return vertx.eventBus().<JsonObject>request(RATE_ACQUIRE, new JsonObject().put("key", key).put("limit", limit)
        .put("window_seconds", windowSeconds)).map(reply -> reply.body().getLong("wait_seconds"));
  }

  private static <T> T get(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }
}
