package dev.contactcenter.http;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.logging.LogSafe;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure (contract validation, authentication, missing routes, event-bus errors, bugs) into one
 * problem+json answer. Contract violations list the offending fields.
 */
final class FailureHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);
  private static final Pattern PARAMETER = Pattern.compile("The value of (\\w+) parameter (\\S+) is");
  private static final Pattern MISSING_PARAMETER = Pattern.compile("The related request does not contain the required (\\w+) parameter (\\S+)");
  /** A missing required property is reported at its parent object, so the name is only in the message. */
  private static final Pattern REQUIRED_PROPERTY = Pattern.compile("does not have required property \"([^\"]+)\"");
  /**
   * Schema keywords whose errors only say "something below failed" (vertx-json-schema also reports a declared but
   * invalid property under additionalProperties); the errors under them say what is wrong.
   */
  private static final Set<String> WRAPPERS = Set.of("properties", "additionalProperties", "$ref", "allOf", "items",
      "prefixItems", "patternProperties");

  @Override
  public void handle(RoutingContext rc) {
    Throwable failure = rc.failure();
    int status = rc.statusCode();
    if (failure instanceof HttpException http) {
      status = http.getStatusCode();
      if (http.getCause() instanceof ValidatorException validation) {
        sendInvalid(rc, validation);
        return;
      }
      Problems.send(rc, status, detailFor(status, http.getPayload()));
      return;
    }
    if (failure instanceof ValidatorException validation) {
      sendInvalid(rc, validation);
      return;
    }
    if (failure instanceof ReplyException reply) {
      int mapped = BusError.httpStatusOf(reply);
      if (BusError.isBusy(reply)) {
        rc.response().putHeader("Retry-After", Problems.BUSY_RETRY_AFTER_SECONDS);
      }
      Problems.send(rc, mapped, mapped == 503 && reply.failureCode() != 503 ? "a backend component did not answer in time"
          : reply.getMessage());
      return;
    }
    if (failure != null && status >= 400 && status < 500) {
      // A handler refused the request with a client error and a reason, e.g. CorsHandler's 403 for an origin that
      // is not allowed: not a bug of ours, so neither a 500 nor an error in the log.
      Problems.send(rc, status, detailFor(status, failure.getMessage()));
      return;
    }
    if (failure != null && (rc.response().closed() || rc.response().ended())) {
      // The client went away or its connection was closed under a malformed request: nobody left to answer.
      LOG.debug("Failure after the connection closed on {} {}: {}", rc.request().method(),
          LogSafe.text(rc.request().path()), failure.toString());
      return;
    }
    if (failure != null) {
      RequestIds.error(rc, LOG, "Unhandled failure on {} {}", rc.request().method(), LogSafe.text(rc.request().path()),
          failure);
      Problems.send(rc, 500, "unexpected error; the request id identifies it in the service log");
      return;
    }
    Problems.send(rc, status < 400 ? 500 : status, detailFor(status, null));
  }

  private static String detailFor(int status, String payload) {
    if (payload != null && !payload.isBlank()) {
      return payload;
    }
    return switch (status) {
      case 401 -> "a valid bearer token is required (POST /api/v2/token)";
      case 404 -> "no such resource";
      case 405 -> "method not allowed on this resource";
      case 413 -> "the request body is larger than this service accepts";
      default -> Problems.title(status);
    };
  }

  /** 400 listing the fields; for a body, the detail names them (the validator's own text names only one, often wrongly). */
  private static void sendInvalid(RoutingContext rc, ValidatorException validation) {
    JsonObject errors = errorsOf(validation);
    boolean body = validation instanceof SchemaValidationException && !PARAMETER.matcher(validation.getMessage()).find();
    String detail = body ? "the request body has invalid fields: " + String.join(", ", errors.getJsonArray("errors").stream()
        .map(e -> ((JsonObject) e).getString("field")).toList()) : validation.getMessage();
    Problems.send(rc, 400, detail, errors);
  }

  /**
   * The offending fields, one entry each: dotted paths into the body, or parameter names; the message is the most
   * specific one the schema validator gave (not its "a subschema had errors" wrappers).
   */
  private static JsonObject errorsOf(ValidatorException validation) {
    JsonArray errors = new JsonArray();
    if (validation instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
      Matcher parameter = PARAMETER.matcher(validation.getMessage());
      String prefix = parameter.find() ? parameter.group(2) : "body";
      OutputUnit unit = schema.getOutputUnit();
      List<OutputUnit> units = unit.getErrors() == null || unit.getErrors().isEmpty() ? List.of(unit) : unit.getErrors();
      Map<String, List<OutputUnit>> byField = new LinkedHashMap<>();
      for (OutputUnit error : units) {
        byField.computeIfAbsent(fieldOf(prefix, error), k -> new ArrayList<>()).add(error);
      }
      byField.forEach((field, found) -> {
        List<String> specific = found.stream().filter(e -> !isWrapper(e.getKeywordLocation()))
            .map(FailureHandler::messageOf).distinct().toList();
        if (!specific.isEmpty()) {
          errors.add(new JsonObject().put("field", field).put("message", String.join("; ", specific)));
        } else if (byField.keySet().stream().noneMatch(other -> other.startsWith(field + "."))) {
          boolean unknown = found.stream().allMatch(e -> String.valueOf(e.getKeywordLocation()).endsWith("/additionalProperties"));
          errors.add(new JsonObject().put("field", field)
              .put("message", unknown ? "is not a property of this request" : found.get(0).getError()));
        }
      });
    } else {
      Matcher parameter = PARAMETER.matcher(validation.getMessage());
      Matcher missing = MISSING_PARAMETER.matcher(validation.getMessage());
      String field = parameter.find() ? parameter.group(2) : missing.find() ? missing.group(2) : "request";
      errors.add(new JsonObject().put("field", field).put("message", validation.getMessage()));
    }
    return new JsonObject().put("errors", errors);
  }

  private static String fieldOf(String prefix, OutputUnit error) {
    return error(prefix, error.getInstanceLocation(), error.getError()).getString("field");
  }

  private static String messageOf(OutputUnit error) {
    return REQUIRED_PROPERTY.matcher(String.valueOf(error.getError())).find() ? "is required" : error.getError();
  }

  private static boolean isWrapper(String keywordLocation) {
    if (keywordLocation == null) {
      return false;
    }
    return WRAPPERS.contains(keywordLocation.substring(keywordLocation.lastIndexOf('/') + 1));
  }

  private static JsonObject error(String prefix, String pointer, String message) {
    String field = pointer == null || pointer.isEmpty() || pointer.equals("/") || pointer.equals("#")
        ? prefix : prefix.equals("body") ? pointer.replaceFirst("^#?/", "").replace('/', '.') : prefix;
    Matcher required = REQUIRED_PROPERTY.matcher(message == null ? "" : message);
    if (prefix.equals("body") && required.find()) {
      field = field.equals("body") ? required.group(1) : field + "." + required.group(1);
    }
    return new JsonObject().put("field", field).put("message", message);
  }
}
