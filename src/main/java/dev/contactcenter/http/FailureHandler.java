package dev.contactcenter.http;

import dev.contactcenter.bus.BusError;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
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

  @Override
  public void handle(RoutingContext rc) {
    Throwable failure = rc.failure();
    int status = rc.statusCode();
    if (failure instanceof HttpException http) {
      status = http.getStatusCode();
      if (http.getCause() instanceof ValidatorException validation) {
        Problems.send(rc, 400, validation.getMessage(), errorsOf(validation));
        return;
      }
      Problems.send(rc, status, detailFor(status, http.getPayload()));
      return;
    }
    if (failure instanceof ValidatorException validation) {
      Problems.send(rc, 400, validation.getMessage(), errorsOf(validation));
      return;
    }
    if (failure instanceof ReplyException reply) {
      int mapped = BusError.httpStatusOf(reply);
      Problems.send(rc, mapped, mapped == 503 && reply.failureCode() != 503 ? "a backend component did not answer in time"
          : reply.getMessage());
      return;
    }
    if (failure != null) {
      RequestIds.error(rc, LOG, "Unhandled failure on {} {}", rc.request().method(), rc.request().path(), failure);
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

  /** The offending fields: JSON pointers into the body, or parameter names. */
  private static JsonObject errorsOf(ValidatorException validation) {
    JsonArray errors = new JsonArray();
    if (validation instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
      Matcher parameter = PARAMETER.matcher(validation.getMessage());
      String prefix = parameter.find() ? parameter.group(2) : "body";
      OutputUnit unit = schema.getOutputUnit();
      if (unit.getErrors() == null || unit.getErrors().isEmpty()) {
        errors.add(error(prefix, unit.getInstanceLocation(), unit.getError()));
      } else {
        for (OutputUnit error : unit.getErrors()) {
          errors.add(error(prefix, error.getInstanceLocation(), error.getError()));
        }
      }
    } else {
      Matcher parameter = PARAMETER.matcher(validation.getMessage());
      Matcher missing = MISSING_PARAMETER.matcher(validation.getMessage());
      String field = parameter.find() ? parameter.group(2) : missing.find() ? missing.group(2) : "request";
      errors.add(new JsonObject().put("field", field).put("message", validation.getMessage()));
    }
    return new JsonObject().put("errors", errors);
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
