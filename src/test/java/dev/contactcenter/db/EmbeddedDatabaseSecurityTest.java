package dev.contactcenter.db;

import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.config.DatabaseUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The zero-config database trusts nobody: every connection needs the generated password. */
@DisplayName("Embedded PostgreSQL: password authentication, generated secret under DATA_DIR")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedDatabaseSecurityTest {

  @Test
  @DisplayName("a fresh DATA_DIR: no password or a wrong one is refused, the generated one (mode 600) works")
  void freshDataDirNeedsThePassword() throws Exception {
    Path dataDir = TempDirs.create("cc-pg-auth");
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
      assertRefusedWithout(db.url());
      Path file = dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
      assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
      assertThat(Files.readString(file).trim()).isEqualTo(db.url().password()).hasSizeGreaterThanOrEqualTo(32);
      assertThat(Files.readString(dataDir.resolve("postgres/pg_hba.conf"))).doesNotContain("trust");
    }
    // The same password after a restart.
    try (EmbeddedDatabase again = EmbeddedDatabase.start(dataDir)) {
      assertRefusedWithout(again.url());
      assertThat(again.url().password()).isEqualTo(Files.readString(dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE)).trim());
    }
  }

  @Test
  @DisplayName("a DATA_DIR of the old trust setup is switched to password authentication on start, data kept")
  void oldTrustDataDirIsLockedDown() throws Exception {
    Path dataDir = TempDirs.create("cc-pg-trust");
    // What earlier versions created: initdb -A trust, the superuser without a password.
    try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(dataDir.resolve("postgres").toFile())
        .setCleanDataDirectory(false).setServerConfig("listen_addresses", "127.0.0.1").start();
        Connection c = DriverManager.getConnection(old.getJdbcUrl("postgres", "postgres"), "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)");
    }
    assertThat(Files.readString(dataDir.resolve("postgres/pg_hba.conf"))).contains("trust");

    try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
      assertRefusedWithout(db.url());
      try (Connection c = connect(db.url(), db.url().password()); Statement s = c.createStatement();
          var rs = s.executeQuery("SELECT id FROM kept")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(42);
      }
    }
    try (EmbeddedDatabase again = EmbeddedDatabase.start(dataDir)) {
      assertRefusedWithout(again.url());
    }
  }

  private static void assertRefusedWithout(DatabaseUrl url) throws SQLException {
    assertThatThrownBy(() -> connect(url, "").close()).isInstanceOf(SQLException.class)
        .hasMessageContaining("password");
    assertThatThrownBy(() -> connect(url, "not-the-password").close()).isInstanceOf(SQLException.class)
        .hasMessageContaining("password authentication failed");
    try (Connection c = connect(url, url.password()); Statement s = c.createStatement()) {
      s.execute("SELECT 1");
    }
  }

  private static Connection connect(DatabaseUrl url, String password) throws SQLException {
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), password);
  }
}
