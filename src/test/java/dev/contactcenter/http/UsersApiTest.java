package dev.contactcenter.http;

import static dev.contactcenter.support.ProblemJson.assertProblem;
import static dev.contactcenter.support.ProblemJson.errorFields;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.NoBlockedEventLoops;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

@ExtendWith(NoBlockedEventLoops.class)
@DisplayName("/api/v2/users: admins create, list and disable users")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UsersApiTest {

  private static final String PASSWORD = "a-long-enough-password";
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private TestApp app;
  private ApiClient api;
  private String admin;

  @BeforeAll
  void start() throws Exception {
    app = TestApp.start();
    api = app.client();
    admin = api.login("admin", TestApp.ADMIN_PASSWORD);
  }

  @AfterAll
  void stop() throws Exception {
    app.close();
  }


  private static String newName() {
    return "user" + SEQUENCE.incrementAndGet();
  }

  private ApiClient.Response create(String token, String username, String password, String role) {
    JsonObject body = new JsonObject().put("username", username).put("password", password);
    if (role != null) {
      body.put("role", role);
    }
    return api.post("/api/v2/users", token, body);
  }

  @Test
  @DisplayName("an admin creates a user: 201, Location, the user without any password or hash")
  void adminCreatesUser() {
    String name = newName();

    ApiClient.Response response = create(admin, name, PASSWORD, null);

    assertThat(response.status()).isEqualTo(201);
    assertThat(response.header("Location")).isEqualTo("/api/v2/users/" + name);
    JsonObject user = response.json();
    assertThat(user.fieldNames()).containsExactlyInAnyOrder("username", "role", "disabled", "created_at", "limits");
    assertThat(user.getString("username")).isEqualTo(name);
    assertThat(user.getString("role")).isEqualTo("user");
    assertThat(user.getBoolean("disabled")).isFalse();
    assertThat(OffsetDateTime.parse(user.getString("created_at"))).isNotNull();
    assertThat(response.body()).doesNotContain(PASSWORD).doesNotContain("$2");
    assertThat(api.login(name, PASSWORD)).isNotBlank();
  }

  @Test
  @DisplayName("an admin can create another admin, who can then manage users")
  void adminCreatesAdmin() {
    String name = newName();
    assertThat(create(admin, name, PASSWORD, "admin").json().getString("role")).isEqualTo("admin");

    String token = api.login(name, PASSWORD);
    assertThat(api.get("/api/v2/users", token).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("a taken username is 409 problem+json")
  void duplicateRefused() {
    String name = newName();
    assertThat(create(admin, name, PASSWORD, null).status()).isEqualTo(201);

    assertProblem(create(admin, name, "another-long-password", null), 409);
    assertProblem(create(admin, "admin", PASSWORD, null), 409);
    // The first user's password is unchanged.
    assertThat(api.token(name, PASSWORD).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("the list (admin) contains every user, without password hashes")
  void listContainsUsers() {
    String name = newName();
    create(admin, name, PASSWORD, null);

    ApiClient.Response response = api.get("/api/v2/users", admin);

    assertThat(response.status()).isEqualTo(200);
    JsonArray items = response.json().getJsonArray("items");
    assertThat(items.stream().map(u -> ((JsonObject) u).getString("username"))).contains("admin", name);
    items.forEach(u -> assertThat(((JsonObject) u).fieldNames())
        .containsExactlyInAnyOrder("username", "role", "disabled", "created_at", "limits"));
    assertThat(response.body()).doesNotContain("$2");
  }

  @Test
  @DisplayName("a non-admin gets 403 problem+json on listing, creating and disabling users")
  void nonAdminForbidden() {
    String name = newName();
    create(admin, name, PASSWORD, null);
    String user = api.login(name, PASSWORD);
    String victim = newName();
    create(admin, victim, PASSWORD, null);

    assertProblem(api.get("/api/v2/users", user), 403);
    assertProblem(create(user, newName(), PASSWORD, "admin"), 403);
    assertProblem(api.delete("/api/v2/users/" + victim, user), 403);
    assertThat(api.token(victim, PASSWORD).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("without a token the user operations are 401")
  void anonymousRefused() {
    assertProblem(api.get("/api/v2/users", null), 401);
    assertProblem(create(null, newName(), PASSWORD, null), 401);
    assertProblem(api.delete("/api/v2/users/admin", null), 401);
  }

  @Test
  @DisplayName("DELETE disables: 204, the user's existing token and any new token are refused with 401")
  void disableRevokesAccess() {
    String name = newName();
    create(admin, name, PASSWORD, null);
    String token = api.login(name, PASSWORD);
    assertThat(api.get("/api/v2/calls", token).status()).isEqualTo(200);

    ApiClient.Response disabled = api.delete("/api/v2/users/" + name, admin);

    assertThat(disabled.status()).isEqualTo(204);
    assertThat(disabled.body()).isEmpty();
    assertProblem(api.get("/api/v2/calls", token), 401);
    assertProblem(api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15551234567")), 401);
    assertProblem(api.token(name, PASSWORD), 401);
    JsonObject listed = api.get("/api/v2/users", admin).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(u -> u.getString("username").equals(name)).findFirst().orElseThrow();
    assertThat(listed.getBoolean("disabled")).isTrue();
    // Disabling again succeeds as well (the contract says so).
    assertThat(api.delete("/api/v2/users/" + name, admin).status()).isEqualTo(204);
  }

  @Test
  @DisplayName("disabling is remembered by a restarted service: the old token stays refused")
  void disableSurvivesRestart() throws Exception {
    String name = newName();
    create(admin, name, PASSWORD, null);
    String token = api.login(name, PASSWORD);
    assertThat(api.delete("/api/v2/users/" + name, admin).status()).isEqualTo(204);

    // A second instance on the same database and secret, e.g. after a restart.
    java.util.Map<String, String> env = new java.util.HashMap<>(app.env());
    try (TestApp second = TestApp.start(env)) {
      assertProblem(second.client().get("/api/v2/calls", token), 401);
    }
  }

  @Test
  @DisplayName("DELETE of an unknown user is 404 problem+json")
  void disableUnknown() {
    assertProblem(api.delete("/api/v2/users/nobody-by-that-name", admin), 404);
  }

  @Test
  @DisplayName("an invalid username, a short password or an unknown role is 400 naming the field")
  void invalidInput() {
    assertThat(errorFields(assertProblem(create(admin, "a b", PASSWORD, null), 400))).containsExactly("username");
    assertThat(errorFields(assertProblem(create(admin, "ab", PASSWORD, null), 400))).containsExactly("username");
    assertThat(errorFields(assertProblem(create(admin, newName(), "short", null), 400))).containsExactly("password");
    assertThat(errorFields(assertProblem(create(admin, newName(), PASSWORD, "root"), 400))).containsExactly("role");
    assertThat(errorFields(assertProblem(api.post("/api/v2/users", admin, new JsonObject().put("username", newName())), 400)))
        .containsExactly("password");
  }
}
