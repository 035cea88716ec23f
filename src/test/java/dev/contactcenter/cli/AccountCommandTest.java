package dev.contactcenter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.ConfigLoader;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("reset-password and enable-user: the host operator unlocks an account beside the running service")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AccountCommandTest {

  @FunctionalInterface
  private interface Command {
    int run() throws Exception;
  }

  private static int withStdin(String stdin, Command command) throws Exception {
    InputStream in = System.in;
    PrintStream err = System.err;
    try {
      System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      return command.run();
    } finally {
      System.setIn(in);
      System.setErr(err);
    }
  }

  @Test
  @DisplayName("a disabled admin is enabled again and its password reset, while the service runs")
  void unlockAdmin() throws Exception {
    try (TestApp app = TestApp.start()) {
      ApiClient api = app.client();
      var config = ConfigLoader.load(app.env());
      // Locked out the way only a database edit (or an old version) could: the only admin disabled.
      TestDatabase.execute(app.databaseUrl(), "UPDATE users SET disabled = true WHERE username = 'admin'");
      Thread.sleep(6_000);
      assertThat(api.token("admin", TestApp.ADMIN_PASSWORD).status()).isEqualTo(401);

      assertThat(withStdin("", () -> AccountCommand.enableUser(config, new String[] {"admin"})))
          .isZero();
      assertThat(withStdin("new-admin-password\n",
          () -> AccountCommand.resetPassword(config, new String[] {"--username", "admin"}))).isZero();
      String token = api.login("admin", "new-admin-password");
      long deadline = System.currentTimeMillis() + 8_000;
      int status;
      do {
        Thread.sleep(500);
        status = api.unchecked().get("/api/v2/users", token).status();
      } while (status != 200 && System.currentTimeMillis() < deadline);
      assertThat(status).as("the running service sees the account enabled").isEqualTo(200);

      assertThat(withStdin("short\n",
          () -> AccountCommand.resetPassword(config, new String[] {"--username", "admin"}))).isEqualTo(2);
      assertThat(withStdin("another-long-password\n",
          () -> AccountCommand.resetPassword(config, new String[] {"--username", "nobody"}))).isEqualTo(3);
      assertThat(withStdin("", () -> AccountCommand.enableUser(config, new String[] {"--password", "x"})))
          .isEqualTo(2);
    }
  }
}
