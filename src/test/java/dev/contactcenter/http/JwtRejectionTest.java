package dev.contactcenter.http;

import static dev.contactcenter.support.ProblemJson.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.NoBlockedEventLoops;
import dev.contactcenter.support.Jwts;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Every way a bearer token can be wrong on {@code GET /api/v2/calls}. The tokens are made by hand (javax.crypto),
 * not by the service's JWT library, and a hand-made valid token is accepted: so each refusal is about the one
 * thing changed, not about the way the test builds tokens.
 */
@ExtendWith(NoBlockedEventLoops.class)
@DisplayName("Bearer tokens: what GET /api/v2/calls refuses")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JwtRejectionTest {

  private static final String CALLS = "/api/v2/calls";

  private TestApp app;
  private ApiClient api;
  private String secret;
  private String issuer;
  private String audience;

  @BeforeAll
  void start() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    app = TestApp.start(env);
    api = app.client();
    secret = env.get("SECRET_KEY");
    issuer = app.app().config().jwtIssuer();
    audience = app.app().config().jwtAudience();
  }

  @AfterAll
  void stop() throws Exception {
    app.close();
  }


  private JsonObject validClaims() {
    return Jwts.claims(issuer, audience, "admin", "admin");
  }

  private void assertRefused(String token) {
    assertProblem(api.get(CALLS, token), 401);
  }

  @Test
  @DisplayName("a token the service issued is accepted")
  void issuedTokenAccepted() {
    ApiClient.Response response = api.get(CALLS, api.login("admin", TestApp.ADMIN_PASSWORD));

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.json().getJsonArray("items")).isNotNull();
  }

  @Test
  @DisplayName("a hand-made HS256 token with the right secret and claims is accepted (the control case)")
  void handMadeValidTokenAccepted() {
    assertThat(api.get(CALLS, Jwts.hs256(secret, validClaims())).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("a hand-made token whose aud is an array containing the audience is accepted")
  void audienceArrayAccepted() {
    JsonObject claims = validClaims().put("aud", new JsonArray().add(audience));

    assertThat(api.get(CALLS, Jwts.hs256(secret, claims)).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("no Authorization header: 401 problem+json")
  void noToken() {
    assertRefused(null);
  }

  @Test
  @DisplayName("a malformed token: 401 problem+json")
  void malformedToken() {
    assertRefused("not-a-jwt");
    assertRefused("a.b.c");
    assertRefused(Jwts.hs256(secret, validClaims()).substring(0, 40));
  }

  @Test
  @DisplayName("an Authorization header that is not Bearer: 401 problem+json")
  void basicSchemeRefused() {
    ApiClient.Response response = api.send(api.authorized(CALLS, null)
        .header("Authorization", "Basic YWRtaW46dGVzdC1hZG1pbi1wYXNzd29yZA==").GET());

    assertProblem(response, 401);
  }

  @Test
  @DisplayName("an expired token: 401 problem+json")
  void expiredToken() {
    long now = System.currentTimeMillis() / 1000;
    assertRefused(Jwts.hs256(secret, validClaims().put("iat", now - 7200).put("exp", now - 3600)));
  }

  @Test
  @DisplayName("a token signed with another secret: 401 problem+json")
  void otherSecret() {
    assertRefused(Jwts.hs256("another-secret-of-at-least-32-bytes-long!", validClaims()));
  }

  @Test
  @DisplayName("a token with a tampered payload (role raised) but the original signature: 401")
  void tamperedPayload() {
    String token = Jwts.hs256(secret, Jwts.claims(issuer, audience, "admin", "user"));
    String[] parts = token.split("\\.");
    String forged = Jwts.hs256(secret, Jwts.claims(issuer, audience, "admin", "admin")).split("\\.")[1];

    assertRefused(parts[0] + "." + forged + "." + parts[2]);
  }

  @Test
  @DisplayName("a token from another issuer: 401 problem+json")
  void wrongIssuer() {
    assertRefused(Jwts.hs256(secret, validClaims().put("iss", "someone-else")));
  }

  @Test
  @DisplayName("a token for another audience: 401 problem+json")
  void wrongAudience() {
    assertRefused(Jwts.hs256(secret, validClaims().put("aud", "another-api")));
  }

  @Test
  @DisplayName("a token with no audience: 401 problem+json")
  void missingAudience() {
    JsonObject claims = validClaims();
    claims.remove("aud");
    assertRefused(Jwts.hs256(secret, claims));
  }

  @Test
  @DisplayName("an unsigned token (alg none) with valid claims: 401 problem+json")
  void algNone() {
    assertRefused(Jwts.unsigned(validClaims()));
  }

  @Test
  @DisplayName("a token signed with the right secret but HS384 (algorithm not allowed): 401 problem+json")
  void otherAlgorithm() {
    assertRefused(Jwts.signed("HS384", "HmacSHA384", secret, validClaims()));
  }

  @Test
  @DisplayName("a token whose sub is missing: 401 problem+json, not a server error")
  void missingSubject() {
    JsonObject claims = validClaims();
    claims.remove("sub");
    assertRefused(Jwts.hs256(secret, claims));
  }
}
