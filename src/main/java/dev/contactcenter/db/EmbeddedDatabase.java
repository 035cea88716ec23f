package dev.contactcenter.db;

import dev.contactcenter.config.DatabaseUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
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
  /** The superuser's generated password, beside (not inside) the data directory, mode 600. */
  static final String PASSWORD_FILE = "postgres.password";
  private static final String HBA_MARKER = "# contact-center-api:";
  /**
   * Loopback TCP with a password only: no trust (any local OS user could otherwise connect as superuser, read the
   * password hashes or run programs through COPY ... TO PROGRAM), no Unix-socket entry.
   */
  private static final String HBA = HBA_MARKER + " written at every start. Password (SCRAM) authentication on loopback"
      + " only;\n# the password is in DATA_DIR/" + PASSWORD_FILE + ".\n"
      + "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n";

  private final EmbeddedPostgres postgres;
  private final String password;

  private EmbeddedDatabase(EmbeddedPostgres postgres, String password) {
    this.postgres = postgres;
    this.password = password;
  }

  /** Starts PostgreSQL on a free loopback port over {@code dataDir/postgres}, creating it on first use. */
  public static EmbeddedDatabase start(Path dataDir) throws IOException {
    return start(dataDir, 0);
  }

  /**
   * Call only while holding the {@link DataDirLock}: a PostgreSQL still running over this data directory is then
   * an orphan of a process that died (kill -9), and is stopped first.
   */
  public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
    Path pgData = pgData(dataDir);
    Files.createDirectories(pgData.getParent());
    OrphanPostmaster.stopIfRunning(pgData);
    Path passwordFile = dataDir.toAbsolutePath().normalize().resolve(PASSWORD_FILE);
    String password = DatabasePassword.loadOrCreate(passwordFile);
    boolean fresh = !Files.isRegularFile(pgData.resolve("postgresql.conf"));
    boolean[] trustSetup = {false};
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
        .setServerConfig("synchronous_commit", "on")
        // Calls turn over in seconds: with autovacuum's default minute between visits (two for a new database), the
        // partial indexes of calls in progress fill with ended calls and plans made on a nearly empty table stay in
        // use. Every 10 s keeps both close to the table as it is; each visit that finds nothing to do costs little.
        .setServerConfig("autovacuum_naptime", "10s")
        // initdb only: the superuser gets its password when the cluster is created.
        .setLocaleConfig("pwfile", passwordFile.toString())
        .setConnectConfig("password", password)
        .setDataDirectoryCustomizer(dir -> {
          if (fresh || isOurs(dir.toPath())) {
            writeHba(dir.toPath());
          } else {
            // Created by a version that trusted every local user: its superuser has no password yet.
            trustSetup[0] = true;
          }
        });
    if (port > 0) {
      builder.setPort(port);
    }
    EmbeddedPostgres postgres = builder.start();
    if (trustSetup[0]) {
      lockDown(postgres, pgData, password);
    }
    LOG.info("Embedded PostgreSQL started on 127.0.0.1:{} with data in {}", postgres.getPort(), pgData);
    return new EmbeddedDatabase(postgres, password);
  }

  /** Moves a data directory of the old trust setup to password authentication, once. */
  private static void lockDown(EmbeddedPostgres postgres, Path pgData, String password) throws IOException {
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      // Hex from DatabasePassword: nothing to escape.
      s.execute("ALTER ROLE " + USER + " WITH PASSWORD '" + password + "'");
      writeHba(pgData);
      s.execute("SELECT pg_reload_conf()");
    } catch (SQLException e) {
      throw new IOException("cannot switch the embedded PostgreSQL to password authentication: " + e.getMessage(), e);
    }
    LOG.info("Embedded PostgreSQL in {} switched from trust to password authentication (password in {})", pgData,
        PASSWORD_FILE);
  }

  private static boolean isOurs(Path pgData) {
    try {
      return Files.readString(pgData.resolve("pg_hba.conf")).startsWith(HBA_MARKER);
    } catch (IOException e) {
      return false;
    }
  }

  private static void writeHba(Path pgData) {
    try {
      Files.writeString(pgData.resolve("pg_hba.conf"), HBA);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + pgData.resolve("pg_hba.conf"), e);
    }
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

  /** The running service's database, for a CLI command beside it (same OS user: it can read the password). */
  public static DatabaseUrl urlForRunning(Path dataDir, int port) throws IOException {
    Path passwordFile = dataDir.toAbsolutePath().normalize().resolve(PASSWORD_FILE);
    return DatabaseUrl.of("127.0.0.1", port, DATABASE, USER, DatabasePassword.read(passwordFile));
  }

  static Path pgData(Path dataDir) {
    return dataDir.toAbsolutePath().normalize().resolve("postgres");
  }

  public int port() {
    return postgres.getPort();
  }

  public DatabaseUrl url() {
    return DatabaseUrl.of("127.0.0.1", port(), DATABASE, USER, password);
  }

  @Override
  public void close() throws IOException {
    postgres.close();
    LOG.debug("Embedded PostgreSQL stopped");
  }
}
