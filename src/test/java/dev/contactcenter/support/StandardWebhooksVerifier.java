package dev.contactcenter.support;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A receiver's verification of Standard Webhooks 1.0 signatures, written from the spec and independent of the
 * service's signing code: the key is the base64 part of {@code whsec_…}; the signed content is
 * {@code id.timestamp.body}; {@code webhook-signature} is a space-separated list of {@code version,signature}
 * pairs of which one {@code v1} must match (constant-time); the timestamp must be within the tolerance.
 */
public final class StandardWebhooksVerifier {

  private static final long TOLERANCE_SECONDS = 5 * 60;

  private final byte[] key;

  public StandardWebhooksVerifier(String secret) {
    String base64 = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
    this.key = Base64.getDecoder().decode(base64);
  }

  /** Null when the message verifies, else why not. */
  public String problem(String id, String timestamp, String signatureHeader, String body, long nowSeconds) {
    if (id == null || timestamp == null || signatureHeader == null) {
      return "missing webhook-id, webhook-timestamp or webhook-signature";
    }
    long ts;
    try {
      ts = Long.parseLong(timestamp);
    } catch (NumberFormatException e) {
      return "bad timestamp " + timestamp;
    }
    if (Math.abs(nowSeconds - ts) > TOLERANCE_SECONDS) {
      return "timestamp out of tolerance: " + timestamp;
    }
    byte[] expected;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      expected = Base64.getEncoder().encode(mac.doFinal((id + "." + timestamp + "." + body)
          .getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    for (String versioned : signatureHeader.split(" ")) {
      int comma = versioned.indexOf(',');
      if (comma < 0 || !versioned.substring(0, comma).equals("v1")) {
        continue;
      }
      if (MessageDigest.isEqual(expected, versioned.substring(comma + 1).getBytes(StandardCharsets.US_ASCII))) {
        return null;
      }
    }
    return "no matching v1 signature in '" + signatureHeader + "'";
  }

  public boolean verifies(String id, String timestamp, String signatureHeader, String body) {
    return problem(id, timestamp, signatureHeader, body, System.currentTimeMillis() / 1000) == null;
  }
}
