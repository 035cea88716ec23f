package dev.contactcenter.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.JsonSchema;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.util.Set;

/**
 * The most common body of {@code POST /api/v2/calls}, {@code {"phone_number": "<string>"}} and nothing else, checked
 * by hand: what the contract's {@code CreateCallRequest} says of such a body is only "a string of at most
 * {@code maxLength} characters", while the generic JSON-schema walk visits every property the schema declares and
 * builds a location string for each (a few per cent of the service's CPU per call). Any other body goes through the
 * walk. The rule is read from the contract at start; if the schema no longer has the shape this relies on (one
 * required property, no others allowed unless declared, the number a plain length-limited string), the shortcut is
 * off and every body is walked.
 */
final class NumberOnlyBody {

  static final String OPERATION = "createCall";
  private static final String FIELD = "phone_number";
  /**
   * Keywords of the number's schema this class knows the meaning of; any other turns the shortcut off (the schema
   * library's own {@code __…__} annotations excepted).
   */
  private static final Set<String> UNDERSTOOD = Set.of("type", "maxLength", "description", "examples");

  private final JsonSchema schema;
  private final int maxLength;

  private NumberOnlyBody(JsonSchema schema, int maxLength) {
    this.schema = schema;
    this.maxLength = maxLength;
  }

  /** The shortcut for the contract's create-call body, or null when its schema is not of the expected shape. */
  static NumberOnlyBody of(OpenAPIContract contract) {
    Operation operation = contract.operation(OPERATION);
    if (operation == null || operation.getRequestBody() == null) {
      return null;
    }
    MediaType json = operation.getRequestBody().getContent().get(RequestGuard.JSON);
    if (json == null || json.getSchema() == null) {
      return null;
    }
    JsonObject declared = declared(contract.getRawContract(), json.getSchema());
    JsonArray required = declared == null ? null : declared.getJsonArray("required");
    if (declared == null || !"object".equals(declared.getValue("type"))
        || required == null || required.size() != 1 || !FIELD.equals(required.getValue(0))
        || !Boolean.FALSE.equals(declared.getValue("additionalProperties"))
        || declared.containsKey("minProperties") || declared.containsKey("dependentRequired")
        || declared.containsKey("allOf") || declared.containsKey("anyOf") || declared.containsKey("oneOf")
        || declared.containsKey("not") || declared.containsKey("if") || declared.containsKey("patternProperties")) {
      return null;
    }
    JsonObject properties = declared.getJsonObject("properties");
    JsonObject number = properties == null ? null : properties.getJsonObject(FIELD);
    if (number == null || !"string".equals(number.getValue("type")) || !(number.getValue("maxLength") instanceof Integer max)
        || !number.fieldNames().stream().allMatch(k -> UNDERSTOOD.contains(k) || k.startsWith("__"))) {
      return null;
    }
    return new NumberOnlyBody(json.getSchema(), max);
  }

  /** The schema as written in the contract: the media type's own, or the component it refers to. */
  private static JsonObject declared(JsonObject raw, JsonSchema schema) {
    Object ref = schema.get("$ref");
    if (ref == null) {
      return schema.fieldNames().contains("type") ? toJson(schema) : null;
    }
    String prefix = "#/components/schemas/";
    if (!(ref instanceof String pointer) || !pointer.startsWith(prefix) || schema.fieldNames().size() != 1) {
      return null;
    }
    JsonObject components = raw.getJsonObject("components");
    JsonObject schemas = components == null ? null : components.getJsonObject("schemas");
    return schemas == null ? null : schemas.getJsonObject(pointer.substring(prefix.length()));
  }

  private static JsonObject toJson(JsonSchema schema) {
    JsonObject json = new JsonObject();
    schema.fieldNames().forEach(name -> json.put(name, schema.get(name)));
    return json;
  }

  /** True when the body is for this schema and valid by the rule above; false means "walk it". */
  boolean accepts(JsonSchema bodySchema, Object body) {
    if (bodySchema != schema || !(body instanceof JsonObject object) || object.size() != 1) {
      return false;
    }
    // JSON Schema counts characters as code points.
    return object.getValue(FIELD) instanceof String number && number.codePointCount(0, number.length()) <= maxLength;
  }
}
