package dev.contactcenter.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.auth.JWTOptions;
import java.util.List;
import java.util.UUID;

/**
 * Issues and verifies the API's access tokens: JWT HS256 signed with SECRET_KEY, carrying iss, aud, sub
 * (the username), role, iat, exp and a unique jti. Verification checks signature, algorithm, issuer,
 * audience and expiry.
 */
public final class TokenService {

  private final JWTAuth auth;
  private final String issuer;
  private final String audience;
  private final int ttlSeconds;

  public TokenService(Vertx vertx, String secret, String issuer, String audience, int ttlSeconds) {
    this.issuer = issuer;
    this.audience = audience;
    this.ttlSeconds = ttlSeconds;
    JWTOptions verification = new JWTOptions()
        .setAlgorithm("HS256")
        .setIssuer(issuer)
        .setAudience(List.of(audience))
        .setLeeway(5);
    this.auth = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
        .setJWTOptions(verification));
  }

  public JWTAuth auth() {
    return auth;
  }

  public int ttlSeconds() {
    return ttlSeconds;
  }

  public String issue(String username, String role) {
    JWTOptions options = new JWTOptions()
        .setAlgorithm("HS256")
        .setSubject(username)
        .setIssuer(issuer)
        .setAudience(List.of(audience))
        .setExpiresInSeconds(ttlSeconds);
    return auth.generateToken(new JsonObject().put("role", role).put("jti", UUID.randomUUID().toString()), options);
  }
}
