package dev.contactcenter.db;

import dev.contactcenter.config.AppConfig;
import dev.contactcenter.config.DatabaseUrl;
import java.io.IOException;
import java.util.Optional;

/**
 * Where the database comes from: DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR —
 * started here, or, for the CLI while the service runs, the one the service already started. Blocking.
 */
public final class DatabaseSupply implements AutoCloseable {

  private final DatabaseUrl url;
  private final EmbeddedDatabase started;
  private final DataDirLock lock;

  private DatabaseSupply(DatabaseUrl url, EmbeddedDatabase started, DataDirLock lock) {
    this.url = url;
    this.started = started;
    this.lock = lock;
  }

  /**
   * For the service: starts the embedded database unless DATABASE_URL is set, holding DATA_DIR's lock for the
   * life of the process; refuses with {@link DataDirInUseException} when a live service holds it.
   */
  public static DatabaseSupply forService(AppConfig config) throws IOException {
    if (config.databaseUrl().isPresent()) {
      return new DatabaseSupply(DatabaseUrl.parse(config.databaseUrl().get()), null, null);
    }
    DataDirLock lock = DataDirLock.tryAcquire(config.dataDir())
        .orElseThrow(() -> new DataDirInUseException(config.dataDir()));
    return startEmbedded(config, lock);
  }

  /** For the CLI: shares the running service's embedded database when a service holds DATA_DIR. */
  public static DatabaseSupply forCommand(AppConfig config) throws IOException {
    if (config.databaseUrl().isPresent()) {
      return forService(config);
    }
    Optional<DataDirLock> lock = DataDirLock.tryAcquire(config.dataDir());
    if (lock.isPresent()) {
      return startEmbedded(config, lock.get());
    }
    int port = EmbeddedDatabase.runningPort(config.dataDir()).orElseThrow(() -> new IOException(
        "the service holding DATA_DIR (pid " + DataDirLock.holder(config.dataDir()) + ") has no database running yet;"
            + " retry once it has started"));
    return new DatabaseSupply(EmbeddedDatabase.urlForRunning(config.dataDir(), port), null, null);
  }

  private static DatabaseSupply startEmbedded(AppConfig config, DataDirLock lock) throws IOException {
    try {
      EmbeddedDatabase db = EmbeddedDatabase.start(config.dataDir());
      return new DatabaseSupply(db.url(), db, lock);
    } catch (PostgresBinaries.MissingBinaries e) {
      lock.close();
      throw e;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw new IOException("cannot start the embedded PostgreSQL in " + config.dataDir().toAbsolutePath() + ": "
          + e.getMessage(), e);
    }
  }

  public DatabaseUrl url() {
    return url;
  }

  public boolean embedded() {
    return started != null;
  }

  @Override
  public void close() throws IOException {
    try {
      if (started != null) {
        started.close();
      }
    } finally {
      if (lock != null) {
        lock.close();
      }
    }
  }
}
