package dev.contactcenter.http;

import static dev.contactcenter.support.ProblemJson.assertProblem;
import static dev.contactcenter.support.ProblemJson.errorFields;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Jwts;
import dev.contactcenter.support.NoBlockedEventLoops;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoBlockedEventLoops.class)
@DisplayName("Accounts: no lock-out, PATCH and own password, bcrypt's 72 bytes, tokens' claims checked")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AccountSafetyTest {

  private TestApp app;
  private ApiClient api;
  private String admin;
  private String secret;

  @BeforeAll
  void start() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    app = TestApp.start(env);
    api = app.client();
    secret = env.get("SECRET_KEY");
    admin = api.login("admin", TestApp.ADMIN_PASSWORD);
  }

  @AfterAll
  void stop() throws Exception {
    app.close();
  }

  private ApiClient.Response patch(String path, String token, JsonObject body) {
    return api.send(api.authorized(path, token).header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  private ApiClient.Response put(String path, String token, JsonObject body) {
    return api.send(api.authorized(path, token).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  private void createUser(String name, String password, String role) {
    assertThat(api.post("/api/v2/users", admin, new JsonObject().put("username", name).put("password", password)
        .put("role", role)).status()).isEqualTo(201);
  }

  @Test
  @Order(1)
  @DisplayName("the only admin cannot disable or demote itself, plain or percent-encoded (409); it stays usable")
  void lastAdminKept() {
    assertProblem(api.delete("/api/v2/users/admin", admin), 409);
    assertProblem(api.unchecked().delete("/api/v2/users/%61dmin", admin), 409);
    assertProblem(patch("/api/v2/users/admin", admin, new JsonObject().put("disabled", true)), 409);
    assertProblem(patch("/api/v2/users/%61dmin", admin, new JsonObject().put("role", "user")), 409);

    assertThat(api.get("/api/v2/users", admin).status()).isEqualTo(200);
  }

  @Test
  @Order(2)
  @DisplayName("PATCH disables, enables and promotes; a promotion applies to the token already held")
  void patchUser() {
    createUser("bob", "bob-password-long", "user");
    String bob = api.login("bob", "bob-password-long");
    assertProblem(api.get("/api/v2/users", bob), 403);

    JsonObject promoted = patch("/api/v2/users/bob", admin, new JsonObject().put("role", "admin")).json();
    assertThat(promoted.getString("role")).isEqualTo("admin");
    assertThat(api.get("/api/v2/users", bob).status()).isEqualTo(200);

    // With a second active admin, the first may be disabled, then re-enabled by the second.
    assertThat(patch("/api/v2/users/admin", bob, new JsonObject().put("disabled", true)).status()).isEqualTo(200);
    assertProblem(api.get("/api/v2/users", admin), 401);
    assertProblem(patch("/api/v2/users/bob", bob, new JsonObject().put("disabled", true)), 409);
    assertThat(patch("/api/v2/users/admin", bob, new JsonObject().put("disabled", false)).json().getBoolean("disabled"))
        .isFalse();
    assertThat(api.get("/api/v2/users", admin).status()).isEqualTo(200);

    assertProblem(patch("/api/v2/users/nobody", admin, new JsonObject().put("disabled", false)), 404);
    assertThat(errorFields(assertProblem(patch("/api/v2/users/bob", admin, new JsonObject().put("role", "root")), 400)))
        .contains("role");
  }

  @Test
  @Order(3)
  @DisplayName("a user changes their own password with the current one; a wrong current one is 403")
  void ownPassword() {
    createUser("carol", "carol-password-1", "user");
    String carol = api.login("carol", "carol-password-1");
    assertProblem(put("/api/v2/users/me/password", carol, new JsonObject().put("current_password", "wrong-password")
        .put("new_password", "carol-password-2")), 403);
    assertProblem(put("/api/v2/users/me/password", carol, new JsonObject().put("current_password", "carol-password-1")
        .put("new_password", "short")), 400);
    assertThat(put("/api/v2/users/me/password", carol, new JsonObject().put("current_password", "carol-password-1")
        .put("new_password", "carol-password-2")).status()).isEqualTo(204);
    assertThat(api.token("carol", "carol-password-1").status()).isEqualTo(401);
    assertThat(api.token("carol", "carol-password-2").status()).isEqualTo(200);
  }

  @Test
  @Order(4)
  @DisplayName("passwords over bcrypt's 72 bytes: 400 when set, 401 (never 500) at login")
  void longPasswords() {
    String twoByte = "é".repeat(37);
    JsonObject refused = assertProblem(api.post("/api/v2/users", admin, new JsonObject().put("username", "dave")
        .put("password", twoByte).put("role", "user")), 400);
    assertThat(errorFields(refused)).containsExactly("password");
    assertThat(api.post("/api/v2/users", admin, new JsonObject().put("username", "dave")
        .put("password", "é".repeat(36)).put("role", "user")).status()).isEqualTo(201);

    assertProblem(api.token("admin", "x".repeat(1024)), 401);
    assertProblem(api.token("dave", "é".repeat(36) + "more"), 401);
    assertThat(api.token("dave", "é".repeat(36)).status()).isEqualTo(200);
  }

  @Test
  @Order(5)
  @DisplayName("control characters in a username are 400 at the edge, never a database error")
  void controlCharacters() {
    JsonObject problem = assertProblem(api.token("ad\u0000min", "whatever-password"), 400);
    assertThat(problem.encode()).doesNotContainIgnoringCase("database").doesNotContain("0x00");
    assertProblem(api.unchecked().delete("/api/v2/users/a%00b", admin), 400);
    assertProblem(api.post("/api/v2/users", admin, new JsonObject().put("username", "a\u0000bc")
        .put("password", "long-enough-password")), 400);
  }

  @Test
  @Order(6)
  @DisplayName("tokens signed with our key but without exp, for no user, or with wrong-typed claims are 401")
  void claimsChecked() {
    String issuer = app.app().config().jwtIssuer();
    String audience = app.app().config().jwtAudience();
    JsonObject valid = Jwts.claims(issuer, audience, "admin", "admin");
    assertThat(api.get("/api/v2/calls", Jwts.hs256(secret, valid.copy())).status()).isEqualTo(200);

    JsonObject noExp = valid.copy();
    noExp.remove("exp");
    for (JsonObject claims : new JsonObject[] {
        noExp,
        Jwts.claims(issuer, audience, "ghost", "admin"),
        valid.copy().put("sub", 42),
        valid.copy().put("sub", new JsonArray().add("admin")),
        valid.copy().put("role", new JsonArray().add("admin")),
        valid.copy().put("role", "root"),
        valid.copy().put("exp", "tomorrow"),
        valid.copy().put("iat", "yesterday")}) {
      assertProblem(api.get("/api/v2/calls", Jwts.hs256(secret, claims)), 401);
      assertProblem(api.get("/api/v2/users", Jwts.hs256(secret, claims)), 401);
    }
  }
}
