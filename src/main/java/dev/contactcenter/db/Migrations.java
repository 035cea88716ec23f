package dev.contactcenter.db;

import dev.contactcenter.config.DatabaseUrl;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the Flyway migrations in {@code db/migration}. Blocking JDBC: call it from a worker or main thread. */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {
  }

  public static MigrateResult migrate(DatabaseUrl url) {
    Flyway flyway = Flyway.configure()
        .dataSource(url.jdbcUrl(), url.user(), url.password())
        .locations("classpath:db/migration")
        .connectRetries(10)
        .load();
    MigrateResult result = flyway.migrate();
    LOG.info("Database schema at version {} ({} migration(s) applied) on {}",
        result.targetSchemaVersion == null ? flyway.info().current().getVersion() : result.targetSchemaVersion,
        result.migrationsExecuted, url.redacted());
    return result;
  }
}
