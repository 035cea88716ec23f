package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.support.ContractCheck;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The checker every API test's responses go through must itself catch what breaks the contract. */
@DisplayName("The contract check of test responses")
class ContractCheckTest {

  private static final URI CALL = URI.create("http://127.0.0.1:1/api/v2/calls/7d0f8a56-3c2e-4b8f-9a51-2f6c1d9e4b10");
  private static final String CALL_BODY = """
      {"call_id":"7d0f8a56-3c2e-4b8f-9a51-2f6c1d9e4b10","phone_number":"+1234567890","status":"completed",
       "channel":"7d0f8a56-3c2e-4b8f-9a51-2f6c1d9e4b10","context":"outbound-ivr","extension":"s","priority":1,
       "timeout":30000,"caller_id":null,"owner":"admin","created_at":"2026-11-24T10:00:00Z",
       "dialed_at":"2026-11-24T10:00:00Z","ringing_at":"2026-11-24T10:00:01Z","answered_at":"2026-11-24T10:00:02Z",
       "ended_at":"2026-11-24T10:00:04Z","end_time_approximate":false,"duration":2,"failure_reason":null,"hangup_cause":16,
       "hangup_cause_text":"Normal Clearing","attempt_number":1,"is_active":false,"is_completed":true,
       "updated_at":"2026-11-24T10:00:04Z","status_callback":null,"status_callback_events":null,"server":"default"}""";
  private static final String PROBLEM = """
      {"type":"urn:contact-center-api:problem:not-found","title":"Not found","status":404,"detail":"no such call",
       "instance":"/api/v2/calls/7d0f8a56-3c2e-4b8f-9a51-2f6c1d9e4b10","request_id":"abc"}""";

  private final ContractCheck check = ContractCheck.get();

  @Test
  @DisplayName("accepts a documented status with a body of the documented schema and media type")
  void acceptsConformingResponses() {
    assertThatCode(() -> check.check("GET", CALL, 200, json(), bytes(CALL_BODY))).doesNotThrowAnyException();
    assertThatCode(() -> check.check("GET", CALL, 404, Map.of("Content-Type", List.of("application/problem+json")),
        bytes(PROBLEM))).doesNotThrowAnyException();
    assertThatCode(() -> check.check("POST", URI.create("http://h/api/v2/token"), 200, json(),
        bytes("{\"access_token\":\"x.y.z\",\"token_type\":\"bearer\",\"expires_in\":3600}")))
        .doesNotThrowAnyException();
    assertThatCode(() -> check.check("GET", URI.create("http://h/metrics"), 200, Map.of(), bytes("up 1")))
        .doesNotThrowAnyException();
  }

  @Test
  @DisplayName("fails an undocumented status code")
  void undocumentedStatus() {
    assertThatThrownBy(() -> check.check("GET", CALL, 500, Map.of("Content-Type", List.of("application/problem+json")),
        bytes(PROBLEM.replace("404", "500")))).isInstanceOf(AssertionError.class).hasMessageContaining("500 is not documented");
    assertThatThrownBy(() -> check.check("GET", URI.create("http://h/health/live"), 503, json(), bytes("{}")))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  @DisplayName("fails a body that breaks the schema: missing required field, wrong type, unknown enum value")
  void schemaViolations() {
    assertThatThrownBy(() -> check.check("GET", CALL, 200, json(), bytes(CALL_BODY.replace("\"owner\":\"admin\",", ""))))
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> check.check("GET", CALL, 200, json(), bytes(CALL_BODY.replace("\"priority\":1", "\"priority\":\"1\""))))
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> check.check("GET", CALL, 200, json(), bytes(CALL_BODY.replace("\"completed\"", "\"done\""))))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  @DisplayName("fails an undocumented media type, a body where none is documented, and a request off the contract")
  void offContract() {
    assertThatThrownBy(() -> check.check("GET", CALL, 404, json(), bytes(PROBLEM)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("application/json is not documented");
    assertThatThrownBy(() -> check.check("DELETE", URI.create("http://h/api/v2/users/alice"), 204, json(), bytes("{}")))
        .isInstanceOf(AssertionError.class).hasMessageContaining("without a body");
    assertThatThrownBy(() -> check.check("GET", URI.create("http://h/api/v2/nothing"), 404, json(), bytes(PROBLEM)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("no operation");
    assertThatThrownBy(() -> check.check("PUT", CALL, 405, json(), bytes(PROBLEM)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("no operation");
  }

  private static Map<String, List<String>> json() {
    return Map.of("content-type", List.of("application/json"));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
