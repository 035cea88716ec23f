package dev.contactcenter.cli;

import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.AppConfig;
import dev.contactcenter.config.ConfigLoader;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("create-user: the password from standard input, with or without the service running")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CreateUserCommandTest {

  private static final String ALICE_PASSWORD = "alice-password-from-stdin";

  /** What one run of the command printed and returned. */
  private record Run(int exit, String out, String err) {
  }

  private static Run run(AppConfig config, String stdin, String... args) throws Exception {
    InputStream in = System.in;
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    try {
      System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
      int exit = CreateUserCommand.run(config, args);
      return new Run(exit, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
    } finally {
      System.setIn(in);
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  @DisplayName("with DATABASE_URL: creates an admin the service then accepts; duplicates and bad input fail")
  void externalDatabase() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    AppConfig config = ConfigLoader.load(env);

    Run created = run(config, ALICE_PASSWORD + "\n", "--username", "alice", "--role", "admin");

    assertThat(created.exit()).as("exit; stderr: %s", created.err()).isZero();
    assertThat(created.out()).contains("alice").contains("admin");
    assertThat(created.out() + created.err()).doesNotContain(ALICE_PASSWORD);

    Run duplicate = run(config, "another-password-123\n", "--username", "alice");
    assertThat(duplicate.exit()).isNotZero();
    assertThat(duplicate.err()).contains("alice");

    Run onCommandLine = run(config, "", "--username", "bob", "--password", "bob-password-123456");
    assertThat(onCommandLine.exit()).isEqualTo(2);
    assertThat(onCommandLine.err()).contains("standard input");

    assertThat(run(config, "short\n", "--username", "carol").exit()).isEqualTo(2);
    assertThat(run(config, "", "--username", "carol").exit()).as("no password at all").isEqualTo(2);
    assertThat(run(config, ALICE_PASSWORD + "\n", "--username", "x").exit()).as("username too short").isEqualTo(2);
    assertThat(run(config, ALICE_PASSWORD + "\n", "--username", "dave", "--role", "root").exit()).isEqualTo(2);
    assertThat(run(config, ALICE_PASSWORD + "\n").exit()).as("no --username").isEqualTo(2);

    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String token = api.login("alice", ALICE_PASSWORD);
      ApiClient.Response users = api.get("/api/v2/users", token);
      assertThat(users.status()).isEqualTo(200);
      assertThat(users.json().getJsonArray("items").stream().map(JsonObject.class::cast)
          .filter(u -> u.getString("username").equals("alice")).findFirst().orElseThrow().getString("role"))
          .isEqualTo("admin");
      assertThat(api.token("alice", "another-password-123").status()).as("the duplicate changed nothing").isEqualTo(401);
      assertThat(api.token("bob", "bob-password-123456").status()).isEqualTo(401);
      assertThat(api.token("carol", "short").status()).isEqualTo(401);
    }
  }

  @Test
  @DisplayName("embedded mode: reuses the running service's database, and starts it itself when none runs")
  void embeddedDatabase() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.remove("DATABASE_URL");
    env.remove("SECRET_KEY");
    env.put("DATA_DIR", TempDirs.create("cc-cli-embedded").toString());
    AppConfig config = ConfigLoader.load(env);

    try (TestApp app = TestApp.start(env)) {
      assertThat(app.app().embeddedDatabase()).isTrue();

      // Starting a second PostgreSQL over the same DATA_DIR would fail: success means the running one was reused.
      Run whileRunning = run(config, "bob-password-123456\n", "--username", "bob");

      assertThat(whileRunning.exit()).as("exit; stderr: %s", whileRunning.err()).isZero();
      assertThat(app.client().login("bob", "bob-password-123456")).isNotBlank();
    }

    // No service: the command starts the embedded database itself, and stops it again.
    Run whileStopped = run(config, "carol-password-123456\n", "--username", "carol", "--role", "admin");
    assertThat(whileStopped.exit()).as("exit; stderr: %s", whileStopped.err()).isZero();

    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String carol = api.login("carol", "carol-password-123456");
      assertThat(api.get("/api/v2/users", carol).status()).isEqualTo(200);
      assertThat(api.token("bob", "bob-password-123456").status()).isEqualTo(200);
    }
  }
}
