package dev.contactcenter.support;

import dev.contactcenter.http.ResponseContract;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.impl.Utils;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checks an HTTP response the tests received against {@code openapi.yaml}: the request must match a documented
 * operation, the status must be one the operation documents, the Content-Type one the contract lists for that status,
 * and the body and headers must satisfy the contract's schemas (vertx-openapi's {@link ResponseValidator}, the library
 * the router itself is built with). Anything else fails the test with an {@link AssertionError}.
 *
 * <p>A few resources the service serves are deliberately outside the API contract: the contract itself and its docs
 * pages, {@code /metrics} (an operations endpoint, docs/PRODUCTION.md) and the event-bus bridge.
 */
public final class ContractCheck {

  /** Paths (and what is below them) served beside the API and not described by openapi.yaml; "/" redirects to /docs. */
  static final List<String> OFF_CONTRACT = List.of("/", "/openapi.yaml", "/docs", "/redoc", "/metrics", "/eventbus");

  private static ContractCheck instance;

  private final JsonObject served;
  private final OpenAPIContract contract;
  private final ResponseValidator validator;

  private ContractCheck(JsonObject served, OpenAPIContract contract, ResponseValidator validator) {
    this.served = served;
    this.contract = contract;
    this.validator = validator;
  }

  /** The checker for the packaged openapi.yaml, loaded once per test JVM. */
  public static synchronized ContractCheck get() {
    if (instance == null) {
      instance = load();
    }
    return instance;
  }

  private static ContractCheck load() {
    // A small Vert.x of its own: the validator is independent of any service a test starts and stops.
    Vertx vertx = Vertx.vertx();
    Runtime.getRuntime().addShutdownHook(new Thread(vertx::close, "contract-check-close"));
    try (InputStream in = ContractCheck.class.getResourceAsStream("/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml is not on the test classpath");
      }
      JsonObject served = await(Utils.yamlStringToJson(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      OpenAPIContract contract = await(OpenAPIContract.from(vertx, ResponseContract.from(served)));
      return new ContractCheck(served, contract, ResponseValidator.create(vertx, contract));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read openapi.yaml", e);
    }
  }

  /**
   * Fails with a description of the exchange unless the response is one the contract allows for the request.
   *
   * @param headers response headers (any case), first value used
   */
  public void check(String method, URI uri, int status, Map<String, List<String>> headers, byte[] body) {
    String path = uri.getRawPath();
    Operation operation = contract.findOperation(path, HttpMethod.valueOf(method.toUpperCase(Locale.ROOT)));
    if (operation == null) {
      if (OFF_CONTRACT.stream().anyMatch(prefix -> path.equals(prefix)
          || !prefix.equals("/") && path.startsWith(prefix + "/"))) {
        return;
      }
      throw failure(method, uri, status, body, "no operation of openapi.yaml matches " + method + " " + path);
    }
    Map<String, String> single = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((name, values) -> {
      if (!values.isEmpty() && !name.startsWith(":")) {
        single.put(name, values.get(0));
      }
    });
    String contentType = single.get("Content-Type");
    String mediaType = contentType == null ? null : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
    String problem = documentedMediaTypeProblem(operation, status, mediaType, body.length);
    if (problem != null) {
      throw failure(method, uri, status, body, operation.getOperationId() + ": " + problem);
    }
    // The validation copy declares problem+json bodies as application/json (see ResponseContract).
    String validatedType = "application/problem+json".equals(mediaType) ? "application/json" : mediaType;
    ValidatableResponse response = body.length == 0
        ? ValidatableResponse.create(status, single)
        : ValidatableResponse.create(status, single, Buffer.buffer(body), validatedType);
    try {
      await(validator.validate(response, operation.getOperationId()));
    } catch (RuntimeException e) {
      throw failure(method, uri, status, body, operation.getOperationId() + ": " + e.getMessage());
    }
  }

  /** The status must be documented, and the media type one listed for it (exactly none for an empty body). */
  private String documentedMediaTypeProblem(Operation operation, int status, String mediaType, int bodyLength) {
    JsonObject responses = served.getJsonObject("paths").getJsonObject(operation.getOpenAPIPath())
        .getJsonObject(operation.getHttpMethod().name().toLowerCase(Locale.ROOT)).getJsonObject("responses");
    JsonObject response = responses.getJsonObject(String.valueOf(status), responses.getJsonObject("default"));
    if (response == null) {
      return "status " + status + " is not documented (documented: " + responses.fieldNames() + ")";
    }
    String ref = response.getString("$ref");
    if (ref != null) {
      response = served.getJsonObject("components").getJsonObject("responses")
          .getJsonObject(ref.substring(ref.lastIndexOf('/') + 1));
    }
    JsonObject content = response.getJsonObject("content");
    if (content == null || content.isEmpty()) {
      return bodyLength == 0 ? null : "status " + status + " is documented without a body, got " + bodyLength + " bytes";
    }
    if (mediaType == null || !content.containsKey(mediaType)) {
      return "Content-Type " + mediaType + " is not documented for status " + status + " (documented: "
          + content.fieldNames() + ")";
    }
    return null;
  }

  private static AssertionError failure(String method, URI uri, int status, byte[] body, String why) {
    String text = new String(body, StandardCharsets.UTF_8);
    return new AssertionError("Response breaks openapi.yaml: " + why + "\n  " + method + " " + uri + " -> " + status
        + "\n  body: " + (text.length() > 2000 ? text.substring(0, 2000) + "..." : text));
  }

  private static <T> T await(io.vertx.core.Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("contract check timed out", e);
    }
  }
}
