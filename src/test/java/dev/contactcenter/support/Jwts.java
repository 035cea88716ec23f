package dev.contactcenter.support;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hand-made JWTs for tests: decoding the service's tokens, and crafting tokens the service must accept or refuse
 * (expired, foreign signature, wrong issuer or audience, {@code alg: none}) without going through its own library.
 */
public final class Jwts {

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private Jwts() {
  }

  public static JsonObject header(String token) {
    return part(token, 0);
  }

  public static JsonObject payload(String token) {
    return part(token, 1);
  }

  private static JsonObject part(String token, int index) {
    String[] parts = token.split("\\.");
    return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[index]), StandardCharsets.UTF_8));
  }

  /** Claims as the service issues them: valid for the next hour. */
  public static JsonObject claims(String issuer, String audience, String subject, String role) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("iss", issuer).put("aud", audience).put("sub", subject).put("role", role)
        .put("iat", now).put("exp", now + 3600).put("jti", java.util.UUID.randomUUID().toString());
  }

  /** An HS256 token signed with the UTF-8 bytes of {@code secret} (how the service uses SECRET_KEY). */
  public static String hs256(String secret, JsonObject claims) {
    return signed("HS256", "HmacSHA256", secret, claims);
  }

  public static String signed(String alg, String macAlgorithm, String secret, JsonObject claims) {
    String signingInput = encode(new JsonObject().put("alg", alg).put("typ", "JWT")) + "." + encode(claims);
    try {
      Mac mac = Mac.getInstance(macAlgorithm);
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), macAlgorithm));
      return signingInput + "." + ENCODER.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An unsigned token: header {@code {"alg":"none"}}, empty signature. */
  public static String unsigned(JsonObject claims) {
    return encode(new JsonObject().put("alg", "none").put("typ", "JWT")) + "." + encode(claims) + ".";
  }

  private static String encode(JsonObject json) {
    return ENCODER.encodeToString(json.encode().getBytes(StandardCharsets.UTF_8));
  }
}
