package dev.contactcenter.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.Credentials;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The verified-token cache")
class VerifiedTokenCacheTest {

  /** A verifier that accepts "good-<exp seconds>" tokens and counts its calls. */
  private static final class CountingVerifier implements JWTAuth {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public Future<User> authenticate(Credentials credentials) {
      calls.incrementAndGet();
      String token = ((TokenCredentials) credentials).getToken();
      if (!token.startsWith("good-")) {
        return Future.failedFuture("bad signature");
      }
      long exp = Long.parseLong(token.substring(5));
      return Future.succeededFuture(User.create(new JsonObject().put("sub", "alice").put("role", "user").put("exp", exp)));
    }

    @Override
    public String generateToken(JsonObject claims, JWTOptions options) {
      return "";
    }

    @Override
    public String generateToken(JsonObject claims) {
      return "";
    }
  }

  @Test
  @DisplayName("with the service's real JWT verifier, a token it issued is verified once")
  void realTokensAreVerifiedOnce() {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      TokenService tokens = new TokenService(vertx, "0123456789abcdef0123456789abcdef-test-secret", "iss", "aud", 600);
      AtomicInteger calls = new AtomicInteger();
      JWTAuth counting = new JWTAuth() {
        @Override
        public Future<User> authenticate(Credentials credentials) {
          calls.incrementAndGet();
          return tokens.auth().authenticate(credentials);
        }

        @Override
        public String generateToken(JsonObject claims, JWTOptions options) {
          return tokens.auth().generateToken(claims, options);
        }

        @Override
        public String generateToken(JsonObject claims) {
          return tokens.auth().generateToken(claims);
        }
      };
      VerifiedTokenCache cache = new VerifiedTokenCache(counting);
      String token = tokens.issue("alice", "user");

      User first = cache.authenticate(new TokenCredentials(token)).toCompletionStage().toCompletableFuture().join();
      User again = cache.authenticate(new TokenCredentials(token)).toCompletionStage().toCompletableFuture().join();

      assertThat(again).isSameAs(first);
      assertThat((String) again.get("sub")).isEqualTo("alice");
      assertThat(calls).hasValue(1);
    } finally {
      vertx.close();
    }
  }

  @Test
  @DisplayName("verifies a token once and answers repeats from memory until the token expires")
  void verifiesOnceUntilExpiry() {
    CountingVerifier verifier = new CountingVerifier();
    VerifiedTokenCache cache = new VerifiedTokenCache(verifier);
    String token = "good-" + (System.currentTimeMillis() / 1000 + 3600);

    User first = cache.authenticate(new TokenCredentials(token)).result();
    User again = cache.authenticate(new TokenCredentials(token)).result();

    assertThat(again).isSameAs(first);
    assertThat(verifier.calls).hasValue(1);
  }

  @Test
  @DisplayName("sends an expired token, and every refused one, to the verifier each time")
  void expiredAndRefusedTokensAreNotCached() {
    CountingVerifier verifier = new CountingVerifier();
    VerifiedTokenCache cache = new VerifiedTokenCache(verifier);
    String expired = "good-" + (System.currentTimeMillis() / 1000 - 1);

    cache.authenticate(new TokenCredentials(expired));
    cache.authenticate(new TokenCredentials(expired));
    assertThat(cache.authenticate(new TokenCredentials("forged")).failed()).isTrue();
    assertThat(cache.authenticate(new TokenCredentials("forged")).failed()).isTrue();

    assertThat(verifier.calls).hasValue(4);
  }
}
