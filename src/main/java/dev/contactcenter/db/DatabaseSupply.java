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

  private DatabaseSupply(DatabaseUrl url, EmbeddedDatabase started) {
    this.url = url;
    this.started = started;
  }

  /** For the service: starts the embedded database unless DATABASE_URL is set. */
  public static DatabaseSupply forService(AppConfig config) throws IOException {
    if (config.databaseUrl().isPresent()) {
      return new DatabaseSupply(DatabaseUrl.parse(config.databaseUrl().get()), null);
    }
    try {
      EmbeddedDatabase db = EmbeddedDatabase.start(config.dataDir());
      return new DatabaseSupply(db.url(), db);
    } catch (PostgresBinaries.MissingBinaries e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot start the embedded PostgreSQL in " + config.dataDir().toAbsolutePath()
          + " (is another instance using this DATA_DIR?): " + e.getMessage(), e);
    }
  }

  /** For the CLI: shares the running service's embedded database when there is one. */
  public static DatabaseSupply forCommand(AppConfig config) throws IOException {
    if (config.databaseUrl().isEmpty()) {
      Optional<Integer> running = EmbeddedDatabase.runningPort(config.dataDir());
      if (running.isPresent()) {
        return new DatabaseSupply(EmbeddedDatabase.urlForPort(running.get()), null);
      }
    }
    return forService(config);
  }

  public DatabaseUrl url() {
    return url;
  }

  public boolean embedded() {
    return started != null;
  }

  @Override
  public void close() throws IOException {
    if (started != null) {
      started.close();
    }
  }
}
