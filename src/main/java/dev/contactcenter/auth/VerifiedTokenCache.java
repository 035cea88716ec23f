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
    return verifier.authenticate(credentials).onSuccess(user -> {
      // The JWT provider keeps the claims in the user's attributes (the principal holds the raw token).
      if (user.get("exp") instanceof Number exp) {
        verified.put(jwt, new Verified(user, exp.longValue() * 1000));
      }
    });
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
