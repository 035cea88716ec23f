package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Takeover after kill -9 of the owning JVM")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TakeoverTimeTest {

  private static final int KILLS = 5;
  /** Issue 11's aim for a takeover after kill -9. */
  private static final long BOUND_MS = 10_000;

  @Test
  @DisplayName("a standby owns the server within the bound after the owner's JVM is killed, every time of 5")
  void takeoverAfterKill() throws Exception {
    String url = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(url));
    Vertx vertx = Vertx.vertx();
    List<Long> takeoverMs = new ArrayList<>();
    try {
      for (int kill = 1; kill <= KILLS; kill++) {
        try (ChildJvm owner = ChildJvm.start(List.of("-Xshare:auto"), List.of("-cp",
            System.getProperty("java.class.path"), OwnershipHolder.class.getName(), url, "ast-1", "child-" + kill),
            Map.of())) {
          owner.awaitLine(line -> line.startsWith("OWNER "), Duration.ofSeconds(60));
          CompletableFuture<Long> acquiredAt = new CompletableFuture<>();
          ServerOwnership standby = new ServerOwnership(PgConnectOptions.fromUri(url), "ast-1", "standby",
              OwnershipTiming.defaults(), new OwnershipListener() {
                @Override
                public void acquired(String server, long epoch) {
                  acquiredAt.complete(System.nanoTime());
                }

                @Override
                public void lost(String server, long epoch, String reason) {
                }
              }, () -> false, new NodeLiveness(vertx));
          String deployment = vertx.deployVerticle(standby).await();
          assertThat(standby.role()).isEqualTo(ServerOwnership.Role.STANDBY);

          long killedAt = System.nanoTime();
          owner.kill();
          long took = (acquiredAt.get(BOUND_MS + 5_000, TimeUnit.MILLISECONDS) - killedAt) / 1_000_000;
          takeoverMs.add(took);
          assertThat(standby.epoch()).isEqualTo(2L * kill);
          vertx.undeploy(deployment).await();
        }
      }
    } finally {
      vertx.close().await();
    }
    long max = takeoverMs.stream().mapToLong(Long::longValue).max().orElseThrow();
    double mean = takeoverMs.stream().mapToLong(Long::longValue).average().orElseThrow();
    String report = String.format("takeover after kill -9 over %d kills (standby retry %d ms): %s ms; mean %.0f ms, "
        + "max %d ms%n", KILLS, OwnershipTiming.defaults().retryMs(), takeoverMs, mean, max);
    System.out.print(report);
    Path out = Path.of("target", "cluster-takeover.txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, report);
    assertThat(takeoverMs).allMatch(ms -> ms <= BOUND_MS);
  }
}
