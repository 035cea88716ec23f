package dev.contactcenter.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * For tests: the copy of {@code openapi.yaml} that vertx-openapi can load to validate responses. It is the router's
 * copy ({@link ApiContract#forRouter}) with the token operation put back, its form body declared as a JSON object:
 * vertx-openapi 5.0.x cannot load the form media type, and only the operation's responses are validated here.
 */
public final class ResponseContract {

  private ResponseContract() {
  }

  public static JsonObject from(JsonObject served) {
    JsonObject contract = ApiContract.forRouter(served);
    JsonObject token = served.getJsonObject("paths").getJsonObject(ApiContract.TOKEN_PATH).getJsonObject("post").copy();
    token.put("requestBody", new JsonObject().put("content", new JsonObject().put("application/json",
        new JsonObject().put("schema", new JsonObject().put("type", "object")))));
    renameProblemJson(token);
    JsonObject paths = contract.getJsonObject("paths");
    JsonObject path = paths.getJsonObject(ApiContract.TOKEN_PATH, new JsonObject());
    paths.put(ApiContract.TOKEN_PATH, path.put("post", token));
    return contract;
  }

  /** As the router copy does: vertx-openapi 5.0.x does not know {@code application/problem+json}. */
  private static void renameProblemJson(Object node) {
    if (node instanceof JsonObject object) {
      if (object.getValue("content") instanceof JsonObject content && content.containsKey(Problems.CONTENT_TYPE)) {
        content.put("application/json", content.remove(Problems.CONTENT_TYPE));
      }
      object.forEach(entry -> renameProblemJson(entry.getValue()));
    } else if (node instanceof JsonArray array) {
      array.forEach(ResponseContract::renameProblemJson);
    }
  }
}
