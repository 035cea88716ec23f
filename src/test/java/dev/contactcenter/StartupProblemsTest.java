package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.contactcenter.auth.AdminBootstrap;
import dev.contactcenter.config.StartupProblem;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

@DisplayName("Start-up problems: said in one line, and no admin locked out")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StartupProblemsTest {

  @Test
  @DisplayName("port in use: one line naming the port and HTTP_PORT; the failed first start creates no admin,"
      + " the next one creates it and returns its password")
  void portInUseLocksNobodyOut() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.remove("ADMIN_PASSWORD");
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress("127.0.0.1", 0));
      env.put("HTTP_PORT", Integer.toString(busy.getLocalPort()));

      assertThatThrownBy(() -> TestApp.start(env))
          .isInstanceOf(StartupProblem.class)
          .hasMessageStartingWith("port " + busy.getLocalPort() + " on 127.0.0.1 is already in use")
          .hasMessageContaining("HTTP_PORT")
          .hasMessageNotContaining("\n");
    }
    assertThat(TestDatabase.queryLong(env.get("DATABASE_URL"),
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'"))
        .as("nothing was created by the failed start").isZero();

    env.put("HTTP_PORT", "0");
    try (TestApp app = TestApp.start(env)) {
      String password = app.app().generatedAdminPassword().orElseThrow();
      assertThat(app.client().token(AdminBootstrap.ADMIN, password).status()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("an HTTP_HOST that is not this machine's: one line naming HTTP_HOST")
  void foreignHost() {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("HTTP_HOST", "192.0.2.1");
    env.put("HTTP_PORT", "18123");
    assertThatThrownBy(() -> TestApp.start(env))
        .isInstanceOf(StartupProblem.class)
        .hasMessageStartingWith("cannot listen on 192.0.2.1:18123")
        .hasMessageContaining("HTTP_HOST");
  }

  @Test
  @DisplayName("ADMIN_PASSWORD while users exist: ignored, with one warning that says how to reset a password")
  void adminPasswordIgnoredOnceUsersExist() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    try (TestApp first = TestApp.start(env)) {
      assertThat(first.client().token(AdminBootstrap.ADMIN, TestApp.ADMIN_PASSWORD).status()).isEqualTo(200);
    }
    Logger logger = (Logger) LoggerFactory.getLogger(AdminBootstrap.class);
    ListAppender<ILoggingEvent> warnings = new ListAppender<>();
    warnings.start();
    logger.addAppender(warnings);
    env.put("ADMIN_PASSWORD", "a-different-password-456");
    try (TestApp second = TestApp.start(env)) {
      assertThat(warnings.list).singleElement().satisfies(event -> {
        assertThat(event.getLevel().toString()).isEqualTo("WARN");
        assertThat(event.getFormattedMessage()).contains("ADMIN_PASSWORD is ignored")
            .contains("java -jar target/contact-center-api.jar reset-password admin");
      });
      assertThat(second.client().token(AdminBootstrap.ADMIN, "a-different-password-456").status()).isEqualTo(401);
      assertThat(second.client().token(AdminBootstrap.ADMIN, TestApp.ADMIN_PASSWORD).status()).isEqualTo(200);
    } finally {
      logger.detachAppender(warnings);
    }
  }
}
