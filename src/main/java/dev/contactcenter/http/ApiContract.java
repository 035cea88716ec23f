package dev.contactcenter.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.impl.Utils;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The API contract, {@code openapi.yaml}, packaged in the jar. Served as written; the router is built from a copy
 * adjusted for two limits of vertx-openapi 5.0.x (see {@link #forRouter(JsonObject)}).
 */
public final class ApiContract {

  static final String RESOURCE = "openapi.yaml";
  static final String TOKEN_PATH = "/api/v2/token";
  /** Tokens from the password flow are the same bearer JWTs; the router knows only the bearer scheme. */
  static final String OAUTH2_SCHEME = "oauth2Password";

  final Buffer yaml;
  final OpenAPIContract routable;

  private ApiContract(Buffer yaml, OpenAPIContract routable) {
    this.yaml = yaml;
    this.routable = routable;
  }

  /**
   * Reads and compiles the contract once per process, on a worker thread: parsing the YAML and compiling its
   * schemas takes hundreds of milliseconds on a cold JVM, too long for an event loop.
   */
  public static Future<ApiContract> load(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      Buffer yaml = vertx.fileSystem().readFileBlocking(RESOURCE);
      // Same YAML reading as vertx-openapi's own loader (timestamps, non-string keys).
      return Utils.yamlStringToJson(yaml.toString(StandardCharsets.UTF_8))
          .compose(json -> OpenAPIContract.from(vertx, forRouter(json)))
          .map(contract -> new ApiContract(yaml, contract));
      // Unordered: it runs beside the other start-up steps the caller's context queues (database, migrations).
    }, false).compose(loaded -> loaded);
  }

  /**
   * The contract the router is built from: the served one minus {@code POST /api/v2/token}, whose
   * {@code application/x-www-form-urlencoded} body vertx-openapi 5.0.7–5.0.10 refuses to load
   * (eclipse-vertx/vertx-openapi#122; {@link TokenHandler} serves it with the same rules), and minus the OAuth2
   * password scheme, which the router would otherwise need a separate OAuth2 handler for (its relative tokenUrl is
   * also refused by vertx-openapi's 3.1 meta-schema). The router copy also declares error bodies as
   * {@code application/json}: vertx-openapi 5.0.x does not know {@code application/problem+json} (same issue).
   */
  static JsonObject forRouter(JsonObject served) {
    JsonObject contract = served.copy();
    JsonObject paths = contract.getJsonObject("paths");
    JsonObject token = paths.getJsonObject(TOKEN_PATH);
    if (token != null) {
      token.remove("post");
      if (token.fieldNames().stream().noneMatch(k -> !k.startsWith("x-") && !k.equals("parameters")
          && !k.equals("summary") && !k.equals("description"))) {
        paths.remove(TOKEN_PATH);
      }
    }
    JsonObject schemes = contract.getJsonObject("components", new JsonObject()).getJsonObject("securitySchemes");
    if (schemes != null) {
      schemes.remove(OAUTH2_SCHEME);
    }
    contract.put("security", withoutOAuth2(contract.getJsonArray("security")));
    for (Map.Entry<String, Object> path : paths) {
      JsonObject item = (JsonObject) path.getValue();
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject operation && operation.containsKey("security")) {
          operation.put("security", withoutOAuth2(operation.getJsonArray("security")));
        }
      }
    }
    renameMediaType(contract, "application/problem+json", "application/json");
    return contract;
  }

  private static void renameMediaType(Object node, String from, String to) {
    if (node instanceof JsonObject object) {
      JsonObject content = object.getValue("content") instanceof JsonObject c ? c : null;
      if (content != null && content.containsKey(from)) {
        content.put(to, content.remove(from));
      }
      for (String key : object.fieldNames()) {
        renameMediaType(object.getValue(key), from, to);
      }
    } else if (node instanceof JsonArray array) {
      array.forEach(item -> renameMediaType(item, from, to));
    }
  }

  private static JsonArray withoutOAuth2(JsonArray requirements) {
    if (requirements == null) {
      return null;
    }
    JsonArray kept = new JsonArray();
    for (Object requirement : requirements) {
      JsonObject alternative = (JsonObject) requirement;
      if (alternative.isEmpty()) {
        kept.add(alternative);
      } else if (!alternative.containsKey(OAUTH2_SCHEME)) {
        kept.add(alternative);
      }
    }
    return kept;
  }
}
