package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Ownership of an Asterisk server: a PostgreSQL session advisory lock, an epoch, and fencing")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ServerOwnershipTest {

  private static final OwnershipTiming FAST = new OwnershipTiming(200, 200, 1000);

  private String url;
  private Vertx vertx;

  @BeforeEach
  void database() {
    url = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(url));
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  /** Listener that queues "acquired N" and "lost N reason" lines. */
  private static final class Events implements OwnershipListener {
    final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

    @Override
    public void acquired(String server, long epoch) {
      queue.add("acquired " + epoch);
    }

    @Override
    public void lost(String server, long epoch, String reason) {
      queue.add("lost " + epoch + " " + reason);
    }

    String next(Duration timeout) throws InterruptedException {
      String event = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(event).as("an ownership event within %s", timeout).isNotNull();
      return event;
    }
  }

  private ServerOwnership deploy(String node, OwnershipTiming timing, Events events) {
    ServerOwnership ownership = new ServerOwnership(PgConnectOptions.fromUri(url), "ast-1", node, timing, events,
        () -> false, new NodeLiveness(vertx));
    vertx.deployVerticle(ownership).await();
    return ownership;
  }

  private Connection jdbc() throws SQLException {
    DatabaseUrl db = DatabaseUrl.parse(url);
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }

  private void terminateSessionOf(String node) {
    TestDatabase.execute(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        + "WHERE application_name = 'cc-owner ast-1 " + node + "'");
  }

  @Test
  @DisplayName("one node owns, the other stands by; when the owner stops, the standby takes over with the next epoch")
  void oneOwnerOthersStandBy() throws Exception {
    Events eventsA = new Events();
    Events eventsB = new Events();
    ServerOwnership a = deploy("node-a", FAST, eventsA);
    assertThat(eventsA.next(Duration.ofSeconds(5))).isEqualTo("acquired 1");
    ServerOwnership b = deploy("node-b", FAST, eventsB);
    Thread.sleep(1000);
    assertThat(a.role()).isEqualTo(ServerOwnership.Role.OWNER);
    assertThat(b.role()).isEqualTo(ServerOwnership.Role.STANDBY);
    assertThat(eventsB.queue).isEmpty();
    assertThat(TestDatabase.queryLong(url,
        "SELECT epoch FROM asterisk_server_owners WHERE server = 'ast-1' AND owner_node = 'node-a'")).isEqualTo(1);

    vertx.undeploy(a.deploymentID()).await();
    assertThat(eventsA.next(Duration.ofSeconds(1))).isEqualTo("lost 1 stopped");
    assertThat(eventsB.next(Duration.ofSeconds(5))).isEqualTo("acquired 2");
    assertThat(b.epoch()).isEqualTo(2);
    assertThat(TestDatabase.queryLong(url,
        "SELECT epoch FROM asterisk_server_owners WHERE server = 'ast-1' AND owner_node = 'node-b'")).isEqualTo(2);
  }

  @Test
  @DisplayName("an owner whose database session ends stops owning at once and the standby takes the server")
  void lossOfConnectionStopsOwning() throws Exception {
    Events eventsA = new Events();
    Events eventsB = new Events();
    ServerOwnership a = deploy("node-a", FAST, eventsA);
    assertThat(eventsA.next(Duration.ofSeconds(5))).isEqualTo("acquired 1");
    ServerOwnership b = deploy("node-b", FAST, eventsB);

    assertThat(owned()).as("asterisk_server_status while node-a holds the lock").isEqualTo(1);
    terminateSessionOf("node-a");
    assertThat(eventsA.next(Duration.ofSeconds(5))).isEqualTo("lost 1 connection to the database closed");
    assertThat(eventsB.next(Duration.ofSeconds(5))).isEqualTo("acquired 2");
    Thread.sleep(1000);
    assertThat(a.role()).as("the old owner stands by behind the new one").isEqualTo(ServerOwnership.Role.STANDBY);
    assertThat(eventsA.queue).isEmpty();
    assertThat(b.role()).isEqualTo(ServerOwnership.Role.OWNER);

    // Nobody left: a row still naming an owner (as a dead node leaves it) is not ownership; the view says so.
    vertx.undeploy(a.deploymentID()).await();
    vertx.undeploy(b.deploymentID()).await();
    TestDatabase.execute(url, "UPDATE asterisk_server_owners SET owner_node = 'node-b'");
    assertThat(owned()).isZero();
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM asterisk_server_status WHERE owner_node = 'node-b'"))
        .isEqualTo(1);
  }

  private long owned() {
    return TestDatabase.queryLong(url, "SELECT count(*) FROM asterisk_server_status WHERE server = 'ast-1' AND owned");
  }

  @Test
  @DisplayName("fencing: after a takeover the database refuses a state write carrying the stale owner's epoch")
  void staleOwnerWriteRefused() throws Exception {
    Events eventsA = new Events();
    Events eventsB = new Events();
    deploy("node-a", FAST, eventsA);
    assertThat(eventsA.next(Duration.ofSeconds(5))).isEqualTo("acquired 1");
    UUID call = UUID.randomUUID();
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO users (username, password_hash) VALUES ('alice', 'x')");
      s.execute("INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms, server) "
          + "VALUES ('" + call + "', 'alice', '+15550100', 'ivr', 's', 1, 30000, 'ast-1')");
      assertThat(s.executeUpdate("UPDATE calls SET status = 'dialing', owner_epoch = 1 WHERE id = '" + call + "'"))
          .as("the owner's write").isEqualTo(1);
    }
    deploy("node-b", FAST, eventsB);
    // node-a is cut from the database (as if paused or partitioned); node-b takes over with epoch 2.
    terminateSessionOf("node-a");
    assertThat(eventsB.next(Duration.ofSeconds(5))).isEqualTo("acquired 2");

    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.executeUpdate(
          "UPDATE calls SET status = 'ringing', owner_epoch = 1 WHERE id = '" + call + "'"))
          .isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getSQLState()).isEqualTo("CCF01");
            assertThat(e.getMessage()).contains("stale ownership of server ast-1: epoch 1 is not the current 2");
          });
      assertThat(s.executeUpdate("UPDATE calls SET status = 'answered', owner_epoch = 2 WHERE id = '" + call + "'"))
          .as("the new owner's write").isEqualTo(1);
      assertThat(s.executeUpdate("UPDATE calls SET status = 'completed' WHERE id = '" + call + "'"
          + " AND server_epoch_is_current('ast-1', 1)")).as("a write guarded in its WHERE clause").isZero();
    }
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM calls WHERE status = 'answered' AND owner_epoch = 2"))
        .isEqualTo(1);
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM calls WHERE server_epoch_is_current('ast-1', 1)"))
        .isZero();
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM calls WHERE server_epoch_is_current('ast-1', 2)"))
        .isEqualTo(1);
  }

  @Test
  @DisplayName("fencing is ordered: a stale write racing an epoch bump either commits before it or is refused")
  void epochBumpAndStaleWriteSerialize() throws Exception {
    UUID call = UUID.randomUUID();
    try (Connection c = jdbc(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO users (username, password_hash) VALUES ('bob', 'x')");
      s.execute("INSERT INTO asterisk_server_owners (server, owner_node, epoch) VALUES ('ast-9', 'old', 1)");
      s.execute("INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms, server) "
          + "VALUES ('" + call + "', 'bob', '+15550100', 'ivr', 's', 1, 30000, 'ast-9')");
    }
    String ownerWrite = "UPDATE calls SET status = 'dialing', owner_epoch = 1 WHERE id = '" + call + "'";
    String bump = "UPDATE asterisk_server_owners SET epoch = epoch + 1, owner_node = 'new' WHERE server = 'ast-9'";

    // The owner's write in flight (checked, not committed) holds the takeover back until it commits.
    try (Connection writer = jdbc(); Connection taker = jdbc()) {
      writer.setAutoCommit(false);
      assertThat(writer.createStatement().executeUpdate(ownerWrite)).isEqualTo(1);
      CompletableFuture<Integer> takeover = CompletableFuture.supplyAsync(() -> update(taker, bump));
      Thread.sleep(500);
      assertThat(takeover).as("the epoch bump waits for the write in flight").isNotDone();
      writer.commit();
      assertThat(takeover.get(5, TimeUnit.SECONDS)).isEqualTo(1);
    }

    // A takeover in flight (not committed) holds back a write of the epoch it replaces, which is then refused.
    try (Connection writer = jdbc(); Connection taker = jdbc()) {
      taker.setAutoCommit(false);
      assertThat(taker.createStatement().executeUpdate(bump)).isEqualTo(1);
      CompletableFuture<Integer> write = CompletableFuture.supplyAsync(() -> update(writer,
          ownerWrite.replace("owner_epoch = 1", "owner_epoch = 2").replace("'dialing'", "'ringing'")));
      Thread.sleep(500);
      assertThat(write).as("the write of epoch 2 waits for the bump to 3").isNotDone();
      taker.commit();
      assertThatThrownBy(() -> write.get(5, TimeUnit.SECONDS))
          .hasRootCauseInstanceOf(SQLException.class)
          .rootCause().hasMessageContaining("epoch 2 is not the current 3");
    }
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM calls WHERE status = 'dialing' AND owner_epoch = 1"))
        .isEqualTo(1);
  }

  private static int update(Connection connection, String sql) {
    try (Statement s = connection.createStatement()) {
      return s.executeUpdate(sql);
    } catch (SQLException e) {
      throw new java.util.concurrent.CompletionException(e);
    }
  }
}
