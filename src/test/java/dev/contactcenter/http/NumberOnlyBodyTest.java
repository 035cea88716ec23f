package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.JsonSchema;
import io.vertx.openapi.contract.OpenAPIContract;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The hand check of the usual create-call body agrees with the contract's schema")
class NumberOnlyBodyTest {

  private static Vertx vertx;
  private static OpenAPIContract contract;
  private static JsonSchema schema;

  @BeforeAll
  static void load() throws Exception {
    vertx = Vertx.vertx();
    contract = ApiContract.load(vertx).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS).routable;
    schema = contract.operation(NumberOnlyBody.OPERATION).getRequestBody().getContent().get(RequestGuard.JSON)
        .getSchema();
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  private static boolean schemaSays(Object body) {
    return contract.getSchemaRepository().validator(schema).validate(body).getValid();
  }

  @Test
  @DisplayName("is on for the shipped contract, and every body it accepts is one the schema accepts")
  void acceptsOnlyWhatTheSchemaAccepts() {
    NumberOnlyBody check = NumberOnlyBody.of(contract);
    assertThat(check).isNotNull();
    String emoji = new String(Character.toChars(0x1F600));
    List<Object> bodies = List.of(
        new JsonObject().put("phone_number", "+15550000010"),
        new JsonObject().put("phone_number", ""),
        new JsonObject().put("phone_number", "1".repeat(32)),
        new JsonObject().put("phone_number", "1".repeat(33)),
        new JsonObject().put("phone_number", emoji.repeat(16)),
        new JsonObject().put("phone_number", emoji.repeat(32)),
        new JsonObject().put("phone_number", emoji.repeat(33)),
        new JsonObject().put("phone_number", 15550000010L),
        new JsonObject().put("phone_number", (Object) null),
        new JsonObject().put("phone_number", new JsonArray().add("+1")),
        new JsonObject().put("phone_number", "+1555").put("extension", "s"),
        new JsonObject().put("phone_number", "+1555").put("unknown", 1),
        new JsonObject().put("number", "+1555"),
        new JsonObject(),
        new JsonArray().add(new JsonObject().put("phone_number", "+1")),
        "+1555");
    int accepted = 0;
    for (Object body : bodies) {
      if (check.accepts(schema, body)) {
        accepted++;
        assertThat(schemaSays(body)).as("schema verdict for %s", body).isTrue();
      }
    }
    // The number-only bodies within the limit, counted in characters (code points) as JSON Schema does: 5.
    assertThat(accepted).isEqualTo(5);
  }

  @Test
  @DisplayName("leaves bodies of other operations' schemas to the schema walk")
  void onlyForItsOwnSchema() {
    NumberOnlyBody check = NumberOnlyBody.of(contract);
    JsonSchema other = JsonSchema.of(new JsonObject().put("type", "object"));
    assertThat(check.accepts(other, new JsonObject().put("phone_number", "+1555"))).isFalse();
  }
}
