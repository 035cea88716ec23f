package dev.contactcenter.calls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("A call request")
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CallRequestTest {

  private static final CallRequest.Defaults DEFAULTS =
      new CallRequest.Defaults("outbound-ivr", "s", 1, 30_000, null);

  private static CallRequest valid(String number, JsonObject options) {
    return CallRequest.from(number, "phone_number", options, DEFAULTS);
  }

  /** The fields the request was refused for. */
  private static List<String> refusedFields(String number, JsonObject options) {
    InvalidCallRequest invalid = catchThrowableOfType(InvalidCallRequest.class, () -> valid(number, options));
    assertThat(invalid).as("request %s %s must be refused", number, options).isNotNull();
    JsonArray errors = invalid.errors();
    return errors.stream().map(e -> ((JsonObject) e).getString("field")).toList();
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"+1234567890", "1234567890", "+1 234 567 890", "1-234-567-890", "1.234.567.890",
      "+1 (234) 567-890", "[1]234567890", "  +1234567890  "})
  @DisplayName("normalises a number to E.164 with '+', ignoring spaces, dashes, dots and brackets")
  void normalisesNumbers(String raw) {
    assertThat(CallRequest.normalizeNumber(raw)).isEqualTo("+1234567890");
    assertThat(valid(raw, null).phoneNumber()).isEqualTo("+1234567890");
  }

  @Test
  @DisplayName("accepts 7 and 15 digits, the E.164 bounds")
  void acceptsE164Bounds() {
    assertThat(CallRequest.normalizeNumber("1234567")).isEqualTo("+1234567");
    assertThat(CallRequest.normalizeNumber("+123456789012345")).isEqualTo("+123456789012345");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"123456", "+123456", "1234567890123456", "+1234567890123456", "", "+", "12ab567890",
      "++1234567890", "1234567890+", "#1234567890", "1234567890,1", "1234567890;1",
      "1234567890@trunk", "1234567890/n", "１２３４５６７８９０"})
  @DisplayName("refuses what is not a phone number (6 or 16 digits, letters, dial-string characters)")
  void refusesNonNumbers(String raw) {
    assertThat(CallRequest.normalizeNumber(raw)).isNull();
    assertThat(refusedFields(raw, null)).containsExactly("phone_number");
  }

  @Test
  @DisplayName("refuses a missing number and names the field it was given under")
  void refusesMissingNumber() {
    assertThat(CallRequest.normalizeNumber(null)).isNull();
    InvalidCallRequest invalid = catchThrowableOfType(InvalidCallRequest.class,
        () -> CallRequest.from(null, "number", null, DEFAULTS));
    assertThat(invalid.errors().getJsonObject(0).getString("field")).isEqualTo("number");
  }

  @Test
  @DisplayName("applies the server defaults to every option left out")
  void appliesDefaults() {
    CallRequest request = CallRequest.from("+1234567890", "number", null,
        new CallRequest.Defaults("ivr-main", "start", 3, 45_000, "\"Support\" <+15550100>"));
    assertThat(request.context()).isEqualTo("ivr-main");
    assertThat(request.extension()).isEqualTo("start");
    assertThat(request.priority()).isEqualTo(3);
    assertThat(request.timeoutMs()).isEqualTo(45_000);
    assertThat(request.callerId()).isEqualTo("\"Support\" <+15550100>");
    assertThat(request.variables()).isEmpty();
    assertThat(request.digits()).isEqualTo("1234567890");
  }

  @Test
  @DisplayName("has no caller id when neither the request nor the configuration gives one")
  void noCallerIdByDefault() {
    assertThat(valid("+1234567890", new JsonObject()).callerId()).isNull();
    assertThat(CallRequest.from("+1234567890", "number", null,
        new CallRequest.Defaults("ivr", "s", 1, 30_000, "")).callerId()).isNull();
  }

  @Test
  @DisplayName("keeps valid options as given")
  void keepsValidOptions() {
    CallRequest request = valid("+1234567890", new JsonObject()
        .put("context", "ivr-main_2").put("extension", "*123#").put("priority", 7).put("timeout", 600_000)
        .put("caller_id", "\"Support Desk\" <+15550100>")
        .put("variables", new JsonObject().put("CUSTOMER_ID", "42").put("_lang", "fr-CA (Québec)")));
    assertThat(request.context()).isEqualTo("ivr-main_2");
    assertThat(request.extension()).isEqualTo("*123#");
    assertThat(request.priority()).isEqualTo(7);
    assertThat(request.timeoutMs()).isEqualTo(600_000);
    assertThat(request.callerId()).isEqualTo("\"Support Desk\" <+15550100>");
    assertThat(request.variables()).containsEntry("CUSTOMER_ID", "42").containsEntry("_lang", "fr-CA (Québec)");
    assertThat(valid("+1234567890", new JsonObject().put("caller_id", "+15550100")).callerId()).isEqualTo("+15550100");
  }

  @ParameterizedTest(name = "context \"{0}\"")
  @ValueSource(strings = {"ivr,s,1", "ivr;x", "ivr|x", "ivr\"x", "ivr\nx", "ivr\rx", "ivr\u0000x", "ivr x",
      "ivr/x", "ivr(x)", "${EXTEN}", "", "c123456789c123456789c123456789c123456789c123456789c123456789c123456789c123456789"})
  @DisplayName("refuses a context that could leave its dialplan argument")
  void refusesContext(String context) {
    assertThat(refusedFields("+1234567890", new JsonObject().put("context", context))).containsExactly("context");
  }

  @ParameterizedTest(name = "extension \"{0}\"")
  @ValueSource(strings = {"s,1", "s;1", "s|1", "s\"", "s\n", "s\t", "s\u007f", "s 1", "s@ctx", "s/n", "${X}", "",
      "e123456789e123456789e123456789e123456789e123456789e123456789e123456789e123456789"})
  @DisplayName("refuses an extension that could leave its dialplan argument")
  void refusesExtension(String extension) {
    assertThat(refusedFields("+1234567890", new JsonObject().put("extension", extension))).containsExactly("extension");
  }

  @ParameterizedTest(name = "caller id \"{0}\"")
  @ValueSource(strings = {"Support,1", "Support;1", "Support|1", "\"Support\" <+1555>,x", "\"Sup\"port\" <1>",
      "\"Support\"\n<+15550100>", "\"Support\"\r<+15550100>", "\"Support\"\t<+15550100>", "Support\n",
      "Support\u0000", "Support\u001b[31m", "${CALLERID(num)}",
      "A123456789A123456789A123456789A123456789A123456789A123456789A123456789A123456789A"})
  @DisplayName("refuses a caller id with separators, control characters or more than 80 characters")
  void refusesCallerId(String callerId) {
    assertThat(refusedFields("+1234567890", new JsonObject().put("caller_id", callerId))).containsExactly("caller_id");
  }

  @ParameterizedTest(name = "variable name \"{0}\"")
  @ValueSource(strings = {"A-B", "CALLERID(num)", "1ABC", "A B", "A,B", "A;B", "A|B", "A\"B", "A\nB", "",
      "${X}", "V2345678901234567890123456789012345678901234567890123456789012345"})
  @DisplayName("refuses a variable name that is not a plain identifier (no dialplan functions)")
  void refusesVariableName(String name) {
    assertThat(refusedFields("+1234567890", new JsonObject().put("variables", new JsonObject().put(name, "x"))))
        .containsExactly("variables." + name);
  }

  @ParameterizedTest(name = "variable value \"{0}\"")
  @ValueSource(strings = {"a,b", "a;b", "a|b", "a\"b", "a\nb", "a\rb", "a\u0000b", "a\u007fb"})
  @DisplayName("refuses a variable value with separators or control characters")
  void refusesVariableValue(String value) {
    assertThat(refusedFields("+1234567890", new JsonObject().put("variables", new JsonObject().put("V", value))))
        .containsExactly("variables.V");
  }

  @Test
  @DisplayName("refuses variables that are too long, too many, not strings or not an object")
  void refusesVariableShapes() {
    assertThat(refusedFields("+1234567890", new JsonObject().put("variables", new JsonObject().put("V", "x".repeat(257)))))
        .containsExactly("variables.V");
    assertThat(valid("+1234567890", new JsonObject().put("variables", new JsonObject().put("V", "x".repeat(256))))
        .variables()).containsKey("V");
    assertThat(refusedFields("+1234567890", new JsonObject().put("variables", new JsonObject().put("V", 42))))
        .containsExactly("variables.V");
    JsonObject many = new JsonObject();
    for (int i = 0; i < 33; i++) {
      many.put("V" + i, "x");
    }
    assertThat(refusedFields("+1234567890", new JsonObject().put("variables", many))).containsExactly("variables");
    assertThat(refusedFields("+1234567890", new JsonObject().put("variables", "A=1"))).containsExactly("variables");
  }

  @Test
  @DisplayName("refuses priority 0, timeout 0 and timeout 600001, and non-integers")
  void refusesNumbersOutOfRange() {
    assertThat(refusedFields("+1234567890", new JsonObject().put("priority", 0))).containsExactly("priority");
    assertThat(refusedFields("+1234567890", new JsonObject().put("priority", -1))).containsExactly("priority");
    assertThat(refusedFields("+1234567890", new JsonObject().put("priority", 1.5))).containsExactly("priority");
    assertThat(refusedFields("+1234567890", new JsonObject().put("priority", "1"))).containsExactly("priority");
    assertThat(refusedFields("+1234567890", new JsonObject().put("timeout", 0))).containsExactly("timeout");
    assertThat(refusedFields("+1234567890", new JsonObject().put("timeout", 600_001))).containsExactly("timeout");
    assertThat(refusedFields("+1234567890", new JsonObject().put("timeout", 2.5))).containsExactly("timeout");
    assertThat(valid("+1234567890", new JsonObject().put("timeout", 1)).timeoutMs()).isEqualTo(1);
    assertThat(valid("+1234567890", new JsonObject().put("priority", 1_000_000)).priority()).isEqualTo(1_000_000);
  }

  @Test
  @DisplayName("lists every offending field at once")
  void listsEveryError() {
    assertThat(refusedFields("12", new JsonObject().put("context", "a,b").put("extension", "s;1").put("priority", 0)
        .put("timeout", 0).put("caller_id", "x\ny").put("variables", new JsonObject().put("A-B", "1"))))
        .containsExactlyInAnyOrder("phone_number", "context", "extension", "priority", "timeout", "caller_id",
            "variables.A-B");
  }

  @Test
  @DisplayName("has the same fingerprint for equivalent requests")
  void sameFingerprintForEquivalentRequests() {
    String plain = valid("+1234567890", null).fingerprint();
    assertThat(valid("1 (234) 567-890", new JsonObject()).fingerprint()).isEqualTo(plain);
    assertThat(valid("1234567890", new JsonObject().put("context", "outbound-ivr").put("extension", "s")
        .put("priority", 1).put("timeout", 30_000)).fingerprint())
        .as("defaults spelled out").isEqualTo(plain);
    JsonObject ab = new JsonObject().put("variables", new JsonObject().put("A", "1").put("B", "2"));
    JsonObject ba = new JsonObject().put("variables", new JsonObject().put("B", "2").put("A", "1"));
    assertThat(valid("+1234567890", ab).fingerprint()).as("variable order").isEqualTo(valid("+1234567890", ba).fingerprint());
  }

  @Test
  @DisplayName("has a different fingerprint when anything that changes the call differs")
  void differentFingerprintForDifferentRequests() {
    String plain = valid("+1234567890", null).fingerprint();
    assertThat(List.of(
        valid("+1234567891", null).fingerprint(),
        valid("+1234567890", new JsonObject().put("context", "other")).fingerprint(),
        valid("+1234567890", new JsonObject().put("extension", "hold")).fingerprint(),
        valid("+1234567890", new JsonObject().put("priority", 2)).fingerprint(),
        valid("+1234567890", new JsonObject().put("timeout", 20_000)).fingerprint(),
        valid("+1234567890", new JsonObject().put("caller_id", "+15550100")).fingerprint(),
        valid("+1234567890", new JsonObject().put("variables", new JsonObject().put("A", "1"))).fingerprint(),
        valid("+1234567890", new JsonObject().put("variables", new JsonObject().put("A", "2"))).fingerprint()))
        .doesNotContain(plain)
        .doesNotHaveDuplicates();
  }

  @Test
  @DisplayName("includes the retry policy and max_queue_seconds; outcome order does not matter")
  void fingerprintIncludesDispatchOptions() {
    CallRequest call = valid("+1234567890", null);
    JsonObject busyTwice = dispatch(2, new JsonArray().add("busy").add("no_answer"), null);
    String base = call.fingerprint(busyTwice);
    assertThat(call.fingerprint(dispatch(2, new JsonArray().add("no_answer").add("busy"), null)))
        .as("outcome order").isEqualTo(base);
    assertThat(List.of(
        call.fingerprint(dispatch(3, new JsonArray().add("busy").add("no_answer"), null)),
        call.fingerprint(dispatch(2, new JsonArray().add("busy"), null)),
        call.fingerprint(dispatch(2, new JsonArray().add("busy").add("no_answer"), 60)),
        call.fingerprint()))
        .doesNotContain(base)
        .doesNotHaveDuplicates();
  }

  private static JsonObject dispatch(int maxAttempts, JsonArray on, Integer maxQueueSeconds) {
    return new JsonObject()
        .put("retry", new JsonObject().put("max_attempts", maxAttempts).put("on", on).put("delay_seconds", 30))
        .put("max_queue_seconds", maxQueueSeconds);
  }
}
