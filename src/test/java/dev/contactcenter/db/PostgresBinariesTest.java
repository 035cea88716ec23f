package dev.contactcenter.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.support.TestDatabase;
import java.net.URL;
import java.net.URLClassLoader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Embedded PostgreSQL: the build for each platform, and durable settings")
class PostgresBinariesTest {

  @ParameterizedTest(name = "{0} / {1} -> {2}")
  @CsvSource({
      "Linux, amd64, postgres-linux-x86_64.txz",
      "Linux, aarch64, postgres-linux-arm_64.txz",
      "Mac OS X, x86_64, postgres-darwin-x86_64.txz",
      "Mac OS X, aarch64, postgres-darwin-arm_64.txz",
      "Windows 11, amd64, postgres-windows-x86_64.txz",
      "Windows Server 2022, amd64, postgres-windows-x86_64.txz"})
  @DisplayName("os.name and os.arch pick the matching zonky build")
  void picksTheBuildOfEachPlatform(String osName, String osArch, String resource) {
    assertThat(PostgresBinaries.resourceFor(osName, osArch)).contains(resource);
  }

  @ParameterizedTest(name = "{0} / {1} -> none")
  @CsvSource({"Windows 11, aarch64", "Linux, ppc64le", "Linux, arm", "FreeBSD, amd64", "SunOS, sparcv9"})
  @DisplayName("a platform without a build gets none")
  void noBuildForOtherPlatforms(String osName, String osArch) {
    assertThat(PostgresBinaries.resourceFor(osName, osArch)).isEmpty();
  }

  @Test
  @DisplayName("this test JVM's platform has its build on the class path (the build packages it)")
  void thisMachineHasItsBuild() {
    String resource = PostgresBinaries.forThisMachine(getClass().getClassLoader());
    assertThat(resource).startsWith("postgres-").endsWith(".txz");
    assertThat(PostgresBinaries.KNOWN).allSatisfy(known ->
        assertThat(getClass().getClassLoader().getResource(known)).as(known + " on the class path").isNotNull());
  }

  @Test
  @DisplayName("where no build fits, one line names the platform, what is packaged and DATABASE_URL")
  void missingBuildIsOneClearLine() throws Exception {
    try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
      assertThatThrownBy(() -> PostgresBinaries.forPlatform("Mac OS X", "aarch64", empty))
          .isInstanceOf(PostgresBinaries.MissingBinaries.class)
          .hasMessage("no embedded PostgreSQL for Mac OS X aarch64 in this jar (packaged: none);"
              + " set DATABASE_URL to use your own PostgreSQL 14+");
    }
    assertThatThrownBy(() -> PostgresBinaries.forPlatform("FreeBSD", "amd64", getClass().getClassLoader()))
        .isInstanceOf(PostgresBinaries.MissingBinaries.class)
        .hasMessageStartingWith("no embedded PostgreSQL for FreeBSD amd64 exists (packaged: linux-x86_64, linux-arm_64,")
        .hasMessageNotContaining("\n");
  }

  @Test
  @DisplayName("the embedded server runs with fsync and synchronous_commit on, so ./data survives a crash")
  void embeddedServerIsDurable() throws Exception {
    String url = TestDatabase.freshDatabaseUrl();
    dev.contactcenter.config.DatabaseUrl parsed = dev.contactcenter.config.DatabaseUrl.parse(url);
    try (Connection c = DriverManager.getConnection(parsed.jdbcUrl(), parsed.user(), parsed.password());
        Statement s = c.createStatement()) {
      assertThat(show(s, "fsync")).isEqualTo("on");
      assertThat(show(s, "synchronous_commit")).isEqualTo("on");
      assertThat(show(s, "full_page_writes")).isEqualTo("on");
    }
  }

  private static String show(Statement s, String setting) throws Exception {
    try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
