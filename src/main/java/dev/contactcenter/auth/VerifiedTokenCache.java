package dev.contactcenter.auth;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.Credentials;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the tokens already verified, so a client sending the same bearer token on every request pays for the
 * JWT verification (base64, JSON parsing, HMAC, claim checks) once rather than on every request's event-loop turn.
 * A token is answered from here only until its own {@code exp} (no leeway, so never longer than the verifier would
 * accept it); anything else, and every token not seen yet, goes to the real verifier. Disabled users are still
 * refused on every request by the user directory, after authentication.
 *
 * <p>Not thread-safe: one instance per HTTP verticle, used on its event loop only.
 */
public final class VerifiedTokenCache implements JWTAuth {

  static final int MAX_ENTRIES = 1024;

  private record Verified(User user, long expiresAtMillis) {
  }

  private final JWTAuth verifier;
  private final Map<String, Verified> verified = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  public VerifiedTokenCache(JWTAuth verifier) {
    this.verifier = verifier;
  }

  @Override
  public Future<User> authenticate(Credentials credentials) {
    if (!(credentials instanceof TokenCredentials token) || token.getToken() == null) {
      return verifier.authenticate(credentials);
    }
    String jwt = token.getToken();
    Verified known = verified.get(jwt);
    if (known != null) {
      if (System.currentTimeMillis() < known.expiresAtMillis()) {
        return Future.succeededFuture(known.user());
      }
      verified.remove(jwt);
    }
    Future<User> verifying;
    try {
      verifying = verifier.authenticate(credentials);
    } catch (RuntimeException wrongTypedClaim) {
      // The JWT library reads exp/iat/nbf with casts: a string exp throws here instead of failing the future.
      return Future.failedFuture("the token's claims have the wrong types");
    }
    return verifying.compose(user -> {
      String problem = claimProblem(user);
      if (problem != null) {
        return Future.failedFuture(problem);
      }
      // The JWT provider keeps the claims in the user's attributes (the principal holds the raw token).
      verified.put(jwt, new Verified(user, ((Number) user.get("exp")).longValue() * 1000));
      return Future.succeededFuture(user);
    });
  }

  /**
   * The JWT library checks signature, algorithm, issuer, audience and an {@code exp} if there is one; our tokens
   * always carry {@code exp}, a string {@code sub} and {@code role}, so a token signed with our key that lacks them,
   * or holds them with another type, was not issued by this service as it is and is refused (401, never a 500).
   */
  public static String claimProblem(User user) {
    if (!(user.get("exp") instanceof Number)) {
      return "the token has no numeric exp claim";
    }
    if (!(user.get("sub") instanceof String sub) || sub.isEmpty()) {
      return "the token has no string sub claim";
    }
    Object role = user.get("role");
    if (!"user".equals(role) && !"admin".equals(role)) {
      return "the token's role claim is not user or admin";
    }
    Object issuedAt = user.get("iat");
    if (issuedAt != null && !(issuedAt instanceof Number)) {
      return "the token's iat claim is not a number";
    }
    return null;
  }

  @Override
  public String generateToken(JsonObject claims, JWTOptions options) {
    return verifier.generateToken(claims, options);
  }

  @Override
  public String generateToken(JsonObject claims) {
    return verifier.generateToken(claims);
  }
}
