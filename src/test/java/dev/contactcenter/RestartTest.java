package dev.contactcenter;

import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Zero-config restart: everything under DATA_DIR survives a stop and start")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RestartTest {

  private static final String USER_PASSWORD = "restart-user-password";

  @Test
  @DisplayName("users, tokens (the generated secret is kept) and calls survive; secret and admin password are generated once")
  void dataSurvivesRestart() throws Exception {
    Path dataDir = TempDirs.create("cc-restart");
    Map<String, String> env = TestApp.defaultEnv();
    env.remove("DATABASE_URL");
    env.remove("SECRET_KEY");
    env.remove("ADMIN_PASSWORD");
    env.put("DATA_DIR", dataDir.toString());

    String adminPassword;
    String userToken;
    String callId;
    try (TestApp first = TestApp.start(env)) {
      assertThat(first.app().embeddedDatabase()).isTrue();
      assertThat(first.app().secretGenerated()).isTrue();
      assertThat(first.app().generatedAdminPassword()).isPresent();
      adminPassword = first.app().generatedAdminPassword().orElseThrow();
      assertThat(adminPassword.length()).isGreaterThanOrEqualTo(16);

      Path secretFile = dataDir.resolve("secret.key");
      assertThat(secretFile).isRegularFile();
      assertThat(Files.readString(secretFile).trim()).hasSizeGreaterThanOrEqualTo(64);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile))).isEqualTo("rw-------");

      ApiClient api = first.client();
      String admin = api.login("admin", adminPassword);
      assertThat(api.post("/api/v2/users", admin, new JsonObject().put("username", "carla")
          .put("password", USER_PASSWORD)).status()).isEqualTo(201);
      userToken = api.login("carla", USER_PASSWORD);
      ApiClient.Response call = api.post("/api/v2/calls", userToken, new JsonObject().put("phone_number", "+15551234567"));
      assertThat(call.status()).as(call.body()).isEqualTo(201);
      callId = call.json().getString("call_id");
      awaitFinalState(api, userToken, callId);
    }

    try (TestApp second = TestApp.start(env)) {
      assertThat(second.app().secretGenerated()).as("secret generated again").isFalse();
      assertThat(second.app().generatedAdminPassword()).as("admin password generated again").isEmpty();

      ApiClient api = second.client();
      assertThat(api.token("admin", adminPassword).status()).isEqualTo(200);
      assertThat(api.token("carla", USER_PASSWORD).status()).isEqualTo(200);
      ApiClient.Response calls = api.get("/api/v2/calls", userToken);
      assertThat(calls.status()).as("the token issued before the restart").isEqualTo(200);
      assertThat(calls.json().getJsonArray("items").stream().map(c -> ((JsonObject) c).getString("call_id")))
          .containsExactly(callId);
      ApiClient.Response call = api.get("/api/v2/calls/" + callId, userToken);
      assertThat(call.json().getString("status")).isEqualTo("completed");
      assertThat(api.get("/api/v2/calls/" + callId + "/events", userToken).json().getJsonArray("events")).isNotEmpty();
    }
  }

  private static void awaitFinalState(ApiClient api, String token, String callId) throws InterruptedException {
    for (int i = 0; i < 150; i++) {
      if (!api.get("/api/v2/calls/" + callId, token).json().getBoolean("is_active")) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("call " + callId + " did not end");
  }
}
