package dev.contactcenter.db;

import dev.contactcenter.config.DatabaseUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The zero-config database: a real PostgreSQL (io.zonky embedded binaries) whose data lives under
 * {@code DATA_DIR/postgres}, so stopping and starting the service keeps every row.
 * Blocking: start and stop it off the event loop.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
  private static final String DATABASE = "postgres";
  private static final String USER = "postgres";

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** Starts PostgreSQL on a free loopback port over {@code dataDir/postgres}, creating it on first use. */
  public static EmbeddedDatabase start(Path dataDir) throws IOException {
    return start(dataDir, 0);
  }

  public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
    Path pgData = pgData(dataDir);
    Files.createDirectories(pgData.getParent());
    ClassLoader loader = EmbeddedDatabase.class.getClassLoader();
    String binaries = PostgresBinaries.forThisMachine(loader);
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setPgBinaryResolver(PostgresBinaries.resolver(binaries, loader))
        .setDataDirectory(pgData.toFile())
        .setCleanDataDirectory(false)
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("max_connections", "200")
        // ./data must survive a crash or power cut: zonky's test defaults (-F, synchronous_commit=off) do not.
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on");
    if (port > 0) {
      builder.setPort(port);
    }
    EmbeddedPostgres postgres = builder.start();
    LOG.info("Embedded PostgreSQL started on 127.0.0.1:{} with data in {}", postgres.getPort(), pgData);
    return new EmbeddedDatabase(postgres);
  }

  /**
   * The port of an embedded PostgreSQL already running over this data directory (a running service), read
   * from its {@code postmaster.pid}; empty when none runs. Lets the CLI share the service's database.
   */
  public static Optional<Integer> runningPort(Path dataDir) {
    Path pidFile = pgData(dataDir).resolve("postmaster.pid");
    try {
      if (!Files.isRegularFile(pidFile)) {
        return Optional.empty();
      }
      List<String> lines = Files.readAllLines(pidFile);
      long pid = Long.parseLong(lines.get(0).trim());
      boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
      if (lines.size() < 4 || !alive) {
        return Optional.empty();
      }
      return Optional.of(Integer.parseInt(lines.get(3).trim()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  public static DatabaseUrl urlForPort(int port) {
    return DatabaseUrl.of("127.0.0.1", port, DATABASE, USER, "");
  }

  private static Path pgData(Path dataDir) {
    return dataDir.toAbsolutePath().normalize().resolve("postgres");
  }

  public int port() {
    return postgres.getPort();
  }

  public DatabaseUrl url() {
    return urlForPort(port());
  }

  @Override
  public void close() throws IOException {
    postgres.close();
    LOG.debug("Embedded PostgreSQL stopped");
  }
}
