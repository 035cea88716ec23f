package dev.contactcenter.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks 1.0 signing: secrets are {@code whsec_<base64 key>}, the signed content is
 * {@code <webhook-id>.<webhook-timestamp>.<body>}, the header is {@code v1,<base64 HMAC-SHA256>}; during a
 * secret rotation every current secret signs, space-separated, so receivers holding either secret verify.
 */
public final class WebhookSignature {

  public static final String SECRET_PREFIX = "whsec_";
  private static final int SECRET_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookSignature() {
  }

  /** A new random secret in the {@code whsec_} form. */
  public static String newSecret() {
    byte[] key = new byte[SECRET_BYTES];
    RANDOM.nextBytes(key);
    return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /** The {@code webhook-signature} header value: one {@code v1,…} entry per secret. */
  public static String header(List<String> secrets, String webhookId, long timestampSeconds, String body) {
    return secrets.stream().map(secret -> sign(secret, webhookId, timestampSeconds, body))
        .collect(Collectors.joining(" "));
  }

  /** {@code v1,<base64 HMAC-SHA256(key, id.timestamp.body)>}. */
  public static String sign(String secret, String webhookId, long timestampSeconds, String body) {
    byte[] key = Base64.getDecoder().decode(secret.startsWith(SECRET_PREFIX)
        ? secret.substring(SECRET_PREFIX.length()) : secret);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] digest = mac.doFinal((webhookId + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
