package dev.contactcenter.db;

import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ServiceProcess;
import dev.contactcenter.support.TestApp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Zero-config services in their own JVMs over one DATA_DIR: a crash never blocks the next start, two never share it. */
@DisplayName("DATA_DIR ownership: lock, orphaned PostgreSQL, second start")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DataDirOwnershipTest {

  private static Map<String, String> zeroConfig(Path dataDir) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("HTTP_HOST", "127.0.0.1");
    env.put("HTTP_PORT", Integer.toString(ServiceProcess.freePort()));
    env.put("DATA_DIR", dataDir.toString());
    env.put("ADMIN_PASSWORD", TestApp.ADMIN_PASSWORD);
    env.put("BCRYPT_COST", "4");
    return env;
  }

  @Test
  @DisplayName("kill -9 leaves PostgreSQL running; the next start stops that orphan, says so in one line, and starts")
  void restartAfterKill9() throws Exception {
    Path dataDir = TempDirs.create("cc-orphan");
    Map<String, String> env = zeroConfig(dataDir);
    Path logs = TempDirs.create("cc-orphan-logs");
    Path pgData = EmbeddedDatabase.pgData(dataDir);

    long orphanPid;
    try (ServiceProcess first = ServiceProcess.start(env, logs.resolve("first.log"))) {
      first.awaitOk("/health", Duration.ofSeconds(90));
      first.kill9();
      Optional<ProcessHandle> orphan = OrphanPostmaster.find(pgData);
      assertThat(orphan).as("PostgreSQL outlives the killed JVM").isPresent();
      orphanPid = orphan.get().pid();
    }

    try (ServiceProcess second = ServiceProcess.start(env, logs.resolve("second.log"))) {
      second.awaitOk("/health", Duration.ofSeconds(90));
      assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      assertThat(second.log()).containsOnlyOnce("was left running over");
      assertThat(second.client().login("admin", TestApp.ADMIN_PASSWORD)).isNotBlank();
      second.sigterm(Duration.ofSeconds(30));
    }
    assertThat(OrphanPostmaster.find(pgData)).as("a clean stop leaves no PostgreSQL behind").isEmpty();
  }

  @Test
  @DisplayName("a second service on the same DATA_DIR is refused with one clear line; the first keeps running")
  void secondStartRefused() throws Exception {
    Path dataDir = TempDirs.create("cc-twice");
    Path logs = TempDirs.create("cc-twice-logs");
    try (ServiceProcess first = ServiceProcess.start(zeroConfig(dataDir), logs.resolve("first.log"))) {
      first.awaitOk("/health", Duration.ofSeconds(90));

      try (ServiceProcess second = ServiceProcess.start(zeroConfig(dataDir), logs.resolve("second.log"))) {
        assertThat(second.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
        String log = second.log();
        assertThat(log).contains("is in use by a running instance of the service (pid " + first.pid() + ")")
            .contains(dataDir.toAbsolutePath().normalize().toString())
            .doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(log.lines().filter(line -> line.contains("is in use"))).hasSize(1);
      }
      assertThat(first.alive()).isTrue();
      assertThat(first.client().login("admin", TestApp.ADMIN_PASSWORD)).isNotBlank();
      first.sigterm(Duration.ofSeconds(30));
    }
  }
}
