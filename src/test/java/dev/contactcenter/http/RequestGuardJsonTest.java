package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The guard's one decode of a JSON body: strict, same value as Vert.x's codec, same problem texts")
class RequestGuardJsonTest {

  private static Buffer utf8(String text) {
    return Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The value with every nested value's class: equal values of other number types must not pass. */
  private static String typed(Object value) {
    if (value instanceof JsonObject object) {
      StringBuilder out = new StringBuilder("{");
      object.forEach(e -> out.append(e.getKey()).append('=').append(typed(e.getValue())).append(','));
      return out.append('}').toString();
    }
    if (value instanceof JsonArray array) {
      StringBuilder out = new StringBuilder("[");
      array.forEach(v -> out.append(typed(v)).append(','));
      return out.append(']').toString();
    }
    return value == null ? "null" : value.getClass().getSimpleName() + ":" + value;
  }

  @Test
  @DisplayName("a strict document decodes to the value Vert.x's own decode gives (types, order, last duplicate)")
  void decodesLikeTheCodec() {
    String[] documents = {
        "{\"phone_number\":\"+15551234567\"}",
        "{\"b\":1,\"a\":2.5,\"c\":[true,null,\"x\"],\"d\":{\"e\":12345678901234567890}}",
        "{\"k\":1,\"k\":2}",
        "[1,2,{\"x\":\"\\u00e9\"}]",
        " \"text\" ",
        "42",
        "-7",
        "3000000000",
        "0.1",
        "1.5e300",
        "1e400",
        "{\"x\":[1,2147483648,-0.0,1E2,false]}"};
    for (String document : documents) {
      Object mine = RequestGuard.decodeStrict(utf8(document));
      Object codec = Json.decodeValue(utf8(document));
      assertThat(mine).as(document).isEqualTo(codec);
      assertThat(typed(mine)).as(document).isEqualTo(typed(codec));
    }
    JsonObject object = (JsonObject) RequestGuard.decodeStrict(utf8("{\"b\":1,\"a\":2}"));
    assertThat(object.fieldNames()).containsExactly("b", "a");
    assertThat(((JsonObject) RequestGuard.decodeStrict(utf8("{\"k\":1,\"k\":2}"))).getInteger("k")).isEqualTo(2);
    assertThat(RequestGuard.decodeStrict(utf8("[]"))).isInstanceOf(JsonArray.class);
    assertThat(RequestGuard.decodeStrict(utf8("null"))).isNull();
  }

  @Test
  @DisplayName("what is not strict JSON is refused with the same text the streaming check gives")
  void refusesWithTheSameTexts() {
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("\uFEFF{\"phone_number\":\"+1\"}", "the JSON body starts with a byte-order mark; send plain UTF-8 JSON");
    cases.put("/* c */{\"phone_number\":\"+1\"}", "the request body is not valid JSON");
    cases.put("{\"a\":1} // c", "the request body is not valid JSON");
    cases.put("{\"a\":1}{\"b\":2}", "the request body holds more than one JSON value");
    cases.put("[1] [2]", "the request body holds more than one JSON value");
    cases.put("[1] x", "the request body is not valid JSON");
    cases.put("   \r\n\t", "the request body is empty");
    cases.put("{\"phone_number\":", "the request body is not valid JSON");
    cases.put("{'a':1}", "the request body is not valid JSON");
    cases.put("{a:1}", "the request body is not valid JSON");
    cases.put("[NaN]", "the request body is not valid JSON");
    cases.put("[01]", "the request body is not valid JSON");
    cases.put("{\"a\":1,}", "the request body is not valid JSON");
    cases.put("[".repeat(5_000) + "]".repeat(5_000), "the request body is not valid JSON");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Buffer body = utf8(c.getKey());
      String label = c.getKey().length() > 40 ? c.getKey().substring(0, 40) : c.getKey();
      assertThat(RequestGuard.strictJsonProblem(body.getBytes())).as(label).isEqualTo(c.getValue());
      assertThatThrownBy(() -> RequestGuard.decodeStrict(body)).as(label)
          .isInstanceOf(DecodeException.class).hasMessage(c.getValue());
    }
    // Invalid UTF-8 inside a string (a lone continuation byte, a truncated sequence, a byte never in UTF-8, an
    // overlong '/').
    String notUtf8 = "the request body is not well-formed UTF-8 (overlong forms, encoded surrogates and bytes that"
        + " start no character are refused)";
    for (byte[] bytes : new byte[][] {
        {'{', '"', 'a', '"', ':', '"', (byte) 0x80, '"', '}'},
        {'{', '"', 'a', '"', ':', '"', (byte) 0xE2, (byte) 0x82, '"', '}'},
        {'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'},
        {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'}}) {
      assertThat(RequestGuard.strictJsonProblem(bytes)).isEqualTo(notUtf8);
      assertThatThrownBy(() -> RequestGuard.decodeStrict(Buffer.buffer(bytes)))
          .isInstanceOf(DecodeException.class).hasMessage(notUtf8);
    }
  }
}
