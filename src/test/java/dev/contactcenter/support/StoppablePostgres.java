package dev.contactcenter.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL server of the test's own (Debian's postgresql-15 binaries, {@code .ci/run} installs them) that a test
 * can stop and start again on the same port mid-call, as an operator's database outage would. Its data directory is
 * temporary. As root it runs as {@code nobody}, since PostgreSQL refuses root.
 */
public final class StoppablePostgres implements AutoCloseable {

  private static final Path BIN = Path.of(System.getenv().getOrDefault("PG_BIN", "/usr/lib/postgresql/15/bin"));

  private final Path dir;
  private final int port;

  private StoppablePostgres(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Initialises and starts a server on a free loopback port; skips the test without the binaries unless in CI. */
  public static StoppablePostgres start() throws Exception {
    if (!Files.isExecutable(BIN.resolve("initdb"))) {
      String reason = "no PostgreSQL server binaries in " + BIN + " (apt-get install postgresql-15)";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(reason);
      }
      Assumptions.abort(reason);
    }
    Path dir = TempDirs.create("cc-stoppable-pg");
    Files.createDirectories(dir.resolve("sock"));
    StoppablePostgres pg = new StoppablePostgres(dir, FreePorts.next());
    if (isRoot()) {
      run(List.of("chown", "-R", "nobody", dir.toString()));
    }
    pg.asOwner(BIN.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
        "--auth=trust", "-E", "UTF8", "--no-sync");
    pg.startAgain();
    return pg;
  }

  /** {@code postgresql://} URL of the {@code postgres} database, for DATABASE_URL. */
  public String url() {
    return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
  }

  public int port() {
    return port;
  }

  /** Starts the stopped server again on the same port and waits until it accepts connections. */
  public void startAgain() throws Exception {
    asOwner(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
        dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
        "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir.resolve("sock") + " -c fsync=off", "start");
  }

  /** Stops the server as an operator would ({@code pg_ctl stop -m fast}: open connections are cut). */
  public void stop() throws Exception {
    asOwner(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop");
  }

  @Override
  public void close() throws Exception {
    if (Files.exists(dir.resolve("data/postmaster.pid"))) {
      asOwner(BIN.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
    }
    TempDirs.deleteRecursively(dir);
  }

  private void asOwner(String... command) throws Exception {
    List<String> full = new ArrayList<>();
    if (isRoot()) {
      full.addAll(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"));
    }
    full.addAll(List.of(command));
    run(full);
  }

  private static void run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " failed: " + new String(out));
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
