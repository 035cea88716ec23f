package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.USERS_LIST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.config.DatabasePoolSettings;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pool whose every connection is held (here: one connection, blocked behind a table lock the test holds) is busy,
 * not down: waiting requests are served once it frees up within the wait, and answered "busy, retry" (never
 * "database unavailable") when the wait or the queue is exceeded.
 */
@DisplayName("The database pool when every connection is in use")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolBusyTest {

  private static final DeliveryOptions LONG = new DeliveryOptions().setSendTimeout(40_000);

  private Vertx vertx;
  private DatabaseUrl url;
  private Connection lockHolder;

  @BeforeEach
  void setUp() throws Exception {
    String databaseUrl = TestDatabase.freshDatabaseUrl();
    url = DatabaseUrl.parse(databaseUrl);
    Migrations.migrate(url);
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (lockHolder != null && !lockHolder.isClosed()) {
      lockHolder.rollback();
      lockHolder.close();
    }
    vertx.close().await();
  }

  private void deploy(DatabasePoolSettings settings) {
    vertx.deployVerticle(new PersistenceVerticle(url, settings)).await();
  }

  /** Holds an exclusive lock on users, so a pooled statement reading it keeps its connection until released. */
  private void lockUsers() throws Exception {
    lockHolder = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
    lockHolder.setAutoCommit(false);
    try (Statement s = lockHolder.createStatement()) {
      s.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
    }
  }

  private void releaseUsers() throws Exception {
    lockHolder.commit();
    lockHolder.close();
  }

  private Future<JsonObject> listUsers() {
    return vertx.eventBus().<JsonObject>request(USERS_LIST, new JsonObject(), LONG).map(Message::body);
  }

  /** The first request takes the only connection and blocks on the lock; give it time to get there. */
  private Future<JsonObject> occupyTheOnlyConnection() throws InterruptedException {
    Future<JsonObject> holder = listUsers();
    Thread.sleep(500);
    assertThat(holder.isComplete()).as("the first request is blocked on the lock").isFalse();
    return holder;
  }

  @Test
  @DisplayName("a request waiting longer than 5 s for a connection is served, with the default wait")
  void aLongWaitWithinTheDefaultIsServed() throws Exception {
    deploy(DatabasePoolSettings.ofSize(1));
    lockUsers();
    Future<JsonObject> holder = occupyTheOnlyConnection();
    Future<JsonObject> waiter = listUsers();

    Thread.sleep(6_500);
    assertThat(waiter.isComplete()).as("still waiting for the connection, not failed").isFalse();
    releaseUsers();

    assertThat(holder.await().getJsonArray("items")).isNotNull();
    assertThat(waiter.await().getJsonArray("items")).isNotNull();
  }

  @Test
  @DisplayName("a request that waited the whole pool wait is told 503 busy, not database unavailable")
  void aWaitBeyondTheLimitIsBusy() throws Exception {
    deploy(new DatabasePoolSettings(1, 1, 100));
    lockUsers();
    Future<JsonObject> holder = occupyTheOnlyConnection();
    long start = System.nanoTime();
    Throwable failure = listUsers().map(ok -> (Throwable) null).otherwise(f -> f).await();
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    releaseUsers();

    assertThat(failure).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) failure).failureCode()).isEqualTo(503);
    assertThat(failure.getMessage()).isEqualTo(BusError.BUSY_DETAIL).doesNotContain("unavailable");
    assertThat(BusError.isBusy(failure)).isTrue();
    assertThat(waitedMs).as("failed after the configured 1 s wait, not the old 5 s").isBetween(700L, 4_000L);
    assertThat(holder.await().getJsonArray("items")).as("the database was up all along").isNotNull();
  }

  @Test
  @DisplayName("a request finding the wait queue full is refused at once as busy")
  void aFullQueueIsBusyAtOnce() throws Exception {
    deploy(new DatabasePoolSettings(1, 30, 1));
    lockUsers();
    Future<JsonObject> holder = occupyTheOnlyConnection();
    Future<JsonObject> queued = listUsers();
    Thread.sleep(200);
    long start = System.nanoTime();
    Throwable failure = listUsers().map(ok -> (Throwable) null).otherwise(f -> f).await();
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    releaseUsers();

    assertThat(BusError.isBusy(failure)).as("%s", failure).isTrue();
    assertThat(waitedMs).isLessThan(3_000L);
    assertThat(holder.await().getJsonArray("items")).isNotNull();
    assertThat(queued.await().getJsonArray("items")).as("the one queued request is still served").isNotNull();
  }
}
