package dev.contactcenter.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.StandardWebhooksVerifier;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Standard Webhooks 1.0 signatures")
class WebhookSignatureTest {

  // The example of the Standard Webhooks reference libraries' tests.
  private static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final String SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  private static final long SPEC_TIMESTAMP = 1614265330;
  private static final String SPEC_BODY = "{\"test\": 2432232314}";
  private static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  @Test
  @DisplayName("signing the spec's example gives the spec's signature")
  void specVector() {
    assertThat(WebhookSignature.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)).isEqualTo(SPEC_SIGNATURE);
    assertThat(new StandardWebhooksVerifier(SPEC_SECRET).problem(SPEC_ID, Long.toString(SPEC_TIMESTAMP),
        SPEC_SIGNATURE, SPEC_BODY, SPEC_TIMESTAMP)).isNull();
  }

  @Test
  @DisplayName("during a rotation both secrets sign, and a receiver holding either one verifies")
  void rotationOverlap() {
    String oldSecret = WebhookSignature.newSecret();
    String newSecret = WebhookSignature.newSecret();
    long now = System.currentTimeMillis() / 1000;
    String header = WebhookSignature.header(List.of(newSecret, oldSecret), "msg_1", now, "{}");
    assertThat(header.split(" ")).hasSize(2).allMatch(s -> s.startsWith("v1,"));
    assertThat(new StandardWebhooksVerifier(oldSecret).problem("msg_1", Long.toString(now), header, "{}", now)).isNull();
    assertThat(new StandardWebhooksVerifier(newSecret).problem("msg_1", Long.toString(now), header, "{}", now)).isNull();
  }

  @Test
  @DisplayName("a changed body, id, timestamp or secret does not verify; secrets look like whsec_<base64 of 32 bytes>")
  void tamperingFails() {
    String secret = WebhookSignature.newSecret();
    assertThat(secret).matches("whsec_[A-Za-z0-9+/]{43}=");
    long now = System.currentTimeMillis() / 1000;
    String sig = WebhookSignature.sign(secret, "msg_1", now, "{\"a\":1}");
    StandardWebhooksVerifier verifier = new StandardWebhooksVerifier(secret);
    assertThat(verifier.problem("msg_1", Long.toString(now), sig, "{\"a\":1}", now)).isNull();
    assertThat(verifier.problem("msg_1", Long.toString(now), sig, "{\"a\":2}", now)).isNotNull();
    assertThat(verifier.problem("msg_2", Long.toString(now), sig, "{\"a\":1}", now)).isNotNull();
    assertThat(verifier.problem("msg_1", Long.toString(now + 1), sig, "{\"a\":1}", now)).isNotNull();
    assertThat(new StandardWebhooksVerifier(WebhookSignature.newSecret())
        .problem("msg_1", Long.toString(now), sig, "{\"a\":1}", now)).isNotNull();
    assertThat(verifier.problem("msg_1", Long.toString(now - 3600), WebhookSignature.sign(secret, "msg_1", now - 3600,
        "{}"), "{}", now)).as("an hour-old timestamp").contains("tolerance");
  }
}
