package dev.contactcenter.cli;

import dev.contactcenter.config.AppConfig;
import dev.contactcenter.db.DatabaseSupply;
import dev.contactcenter.db.Migrations;
import org.flywaydb.core.api.output.MigrateResult;

/** {@code migrate}: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
public final class MigrateCommand {

  private MigrateCommand() {
  }

  public static int run(AppConfig config) throws Exception {
    try (DatabaseSupply database = DatabaseSupply.forCommand(config)) {
      MigrateResult result = Migrations.migrate(database.url());
      System.out.println("Migrations applied: " + result.migrationsExecuted + "; schema version "
          + (result.targetSchemaVersion == null ? "unchanged" : result.targetSchemaVersion));
      return 0;
    }
  }
}
