package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The contract validation uses the body the guard decoded, and decodes only when there is none")
class InlineRequestValidatorTest {

  private static Vertx vertx;
  private static OpenAPIContract contract;
  private static InlineRequestValidator validator;

  @BeforeAll
  static void load() throws Exception {
    vertx = Vertx.vertx();
    contract = ApiContract.load(vertx).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS).routable;
    validator = new InlineRequestValidator(vertx, contract);
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  private static ValidatableRequestImpl request(String body, String contentType) {
    return new ValidatableRequestImpl(Map.of(), Map.of(), Map.of(), Map.of(),
        new RequestParameterImpl(Buffer.buffer(body)), contentType);
  }

  private static ValidatedRequest validate(String operationId, String raw, Object decoded) throws Exception {
    Operation operation = contract.operation(operationId);
    return validator.validate(request(raw, RequestGuard.JSON), operation, decoded).toCompletionStage()
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Throwable failure(String operationId, String raw, Object decoded) throws Exception {
    Operation operation = contract.operation(operationId);
    return validator.validate(request(raw, RequestGuard.JSON), operation, decoded).toCompletionStage()
        .toCompletableFuture().handle((ok, e) -> e).get(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a decoded body is the validated body itself: the raw bytes are not decoded again")
  void usesTheDecodedBody() throws Exception {
    // The raw bytes are not JSON at all: had the validator decoded them, it would have refused the request.
    JsonObject decoded = new JsonObject().put("phone_number", "+15551234567");
    RequestParameter body = validate("createCall", "not json", decoded).getBody();
    assertThat(body.get()).isSameAs(decoded);

    JsonObject withOptions = new JsonObject().put("phone_number", "+15551234567").put("extension", "s")
        .put("priority", 2);
    assertThat(validate("createCall", "not json", withOptions).getBody().get()).isSameAs(withOptions);
    JsonObject user = new JsonObject().put("username", "someone").put("password", "long-enough-password")
        .put("role", "user");
    assertThat(validate("createUser", "not json", user).getBody().get()).isSameAs(user);
  }

  @Test
  @DisplayName("a decoded body is still held to the contract's schema")
  void decodedBodyIsStillValidated() throws Exception {
    assertThat(failure("createCall", "not json", new JsonObject().put("phone_number", 15551234567L)))
        .isInstanceOf(ValidatorException.class);
    assertThat(failure("createCall", "not json", new JsonObject().put("phone_number", "+1").put("nope", 1)))
        .isInstanceOf(ValidatorException.class);
    assertThat(failure("createCall", "not json", new JsonObject().put("phone_number", "1".repeat(33))))
        .isInstanceOf(ValidatorException.class);
    assertThat(failure("createUser", "not json", new JsonObject().put("username", "x")))
        .isInstanceOf(ValidatorException.class);
  }

  @Test
  @DisplayName("without a decoded body (large or none) the raw bytes are decoded and validated as before")
  void decodesWithoutOne() throws Exception {
    RequestParameter body = validate("createCall", "{\"phone_number\":\"+15551234567\"}", null).getBody();
    assertThat(body.getJsonObject()).isEqualTo(new JsonObject().put("phone_number", "+15551234567"));
    assertThat(failure("createCall", "not json", null)).isInstanceOf(ValidatorException.class);
    assertThat(failure("createCall", "{\"phone_number\":5}", null)).isInstanceOf(ValidatorException.class);
  }

  @Test
  @DisplayName("the answers kept from start (media type of a JSON request, schema validation or not) are the library's")
  void keptAnswersAreTheLibrarys() {
    var library = new io.vertx.openapi.validation.impl.BaseValidator(vertx, contract) {
      boolean required(io.vertx.openapi.contract.MediaType mediaType) {
        return super.isSchemaValidationRequired(mediaType);
      }
    };
    int bodies = 0;
    for (Operation operation : contract.operations()) {
      io.vertx.openapi.contract.RequestBody requestBody = operation.getRequestBody();
      if (requestBody == null) {
        continue;
      }
      bodies++;
      for (io.vertx.openapi.contract.MediaType mediaType : requestBody.getContent().values()) {
        assertThat(validator.isSchemaValidationRequired(mediaType)).as(operation.getOperationId())
            .isEqualTo(library.required(mediaType));
      }
      for (String type : new String[] {"application/json", "application/json; charset=utf-8",
          "application/json;charset=UTF-8", "application/x-www-form-urlencoded", "text/plain"}) {
        assertThat(validator.mediaType(requestBody, type)).as(operation.getOperationId() + " " + type)
            .isSameAs(requestBody.determineContentType(type));
      }
    }
    assertThat(bodies).isGreaterThan(5);
  }
}
