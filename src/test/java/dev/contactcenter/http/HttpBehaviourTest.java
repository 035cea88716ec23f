package dev.contactcenter.http;

import static dev.contactcenter.support.ProblemJson.assertProblem;
import static dev.contactcenter.support.ProblemJson.errorFields;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.NoBlockedEventLoops;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.impl.Utils;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

@ExtendWith(NoBlockedEventLoops.class)
@DisplayName("HTTP behaviour: problem+json errors, body limit, request ids, CORS, documentation")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HttpBehaviourTest {

  private static final String ALLOWED_ORIGIN = "https://app.example.com";
  private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  private TestApp app;
  private ApiClient api;
  private String token;

  @BeforeAll
  void start() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("MAX_BODY_BYTES", "1024");
    env.put("CORS_ALLOWED_ORIGINS", ALLOWED_ORIGIN);
    app = TestApp.start(env);
    api = app.client();
    token = api.login("admin", TestApp.ADMIN_PASSWORD);
  }

  @AfterAll
  void stop() throws Exception {
    app.close();
  }


  @Test
  @DisplayName("a phone_number of the wrong type is 400 problem+json listing phone_number")
  void wrongTypeListed() {
    ApiClient.Response response = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", 12));

    JsonObject problem = assertProblem(response, 400);
    assertThat(errorFields(problem)).containsExactly("phone_number");
    assertThat(problem.getJsonArray("errors").getJsonObject(0).getString("message")).contains("string");
  }

  @Test
  @DisplayName("a priority of 0 is 400 problem+json listing priority")
  void outOfRangeListed() {
    ApiClient.Response response = api.post("/api/v2/calls", token,
        new JsonObject().put("phone_number", "+15551234567").put("priority", 0));

    assertThat(errorFields(assertProblem(response, 400))).containsExactly("priority");
    assertThat(app.app().config().defaultPriority()).isEqualTo(1);
  }

  @Test
  @DisplayName("several invalid fields are each listed once with the validator's specific message")
  void everyFieldListedOnce() {
    ApiClient.Response response = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15551234567")
        .put("timeout", -1).put("context", "bad context").put("colour", "blue")
        .put("variables", new JsonObject().put("A", 1)));

    JsonObject problem = assertProblem(response, 400);
    assertThat(errorFields(problem)).containsExactlyInAnyOrder("timeout", "context", "colour", "variables.A");
    assertThat(problem.getString("detail")).contains("timeout").contains("context").contains("colour");
    problem.getJsonArray("errors").forEach(e ->
        assertThat(((JsonObject) e).getString("message")).isNotBlank().doesNotContain("subschema"));
  }

  @Test
  @DisplayName("a missing phone_number is listed as phone_number, not as the whole body")
  void missingRequiredFieldListed() {
    ApiClient.Response response = api.post("/api/v2/calls", token, new JsonObject().put("priority", 1));

    assertThat(errorFields(assertProblem(response, 400))).containsExactly("phone_number");
  }

  @Test
  @DisplayName("an invalid query parameter is 400 listing the parameter")
  void invalidQueryParameterListed() {
    assertThat(errorFields(assertProblem(api.get("/api/v2/calls?limit=0", token), 400))).containsExactly("limit");
  }

  @Test
  @DisplayName("a phone number that is not E.164 is 400 listing phone_number, and no call is stored")
  void invalidNumberListed() {
    ApiClient.Response response = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "12ab"));

    assertThat(errorFields(assertProblem(response, 400))).containsExactly("phone_number");
    assertThat(api.get("/api/v2/calls", token).json().getJsonArray("items")).isEmpty();
  }

  @Test
  @DisplayName("a body that is not JSON is 400 problem+json")
  void malformedJson() {
    ApiClient.Response response = api.send(api.authorized("/api/v2/calls", token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"phone_number\":")));

    assertProblem(response, 400);
  }

  @Test
  @DisplayName("an unknown path is 404 problem+json, inside and outside /api")
  void unknownPath() {
    assertThat(assertProblem(api.unchecked().get("/api/v2/nothing-here", token), 404).getString("instance"))
        .isEqualTo("/api/v2/nothing-here");
    assertProblem(api.unchecked().get("/nothing-here", null), 404);
  }

  @Test
  @DisplayName("a method the resource does not have is 405 problem+json")
  void wrongMethod() {
    assertProblem(api.unchecked().delete("/api/v2/calls", token), 405);
  }

  @Test
  @DisplayName("a body over MAX_BODY_BYTES is 413 problem+json")
  void bodyTooLarge() {
    JsonObject big = new JsonObject().put("phone_number", "+15551234567")
        .put("variables", new JsonObject().put("NOTE", "x".repeat(4096)));

    ApiClient.Response response = api.post("/api/v2/calls", token, big);

    assertProblem(response, 413);
    assertThat(api.get("/api/v2/calls", token).json().getJsonArray("items")).isEmpty();
  }

  @Test
  @DisplayName("a sane X-Request-Id is echoed, and is the request_id of the problem body")
  void requestIdEchoed() {
    ApiClient.Response response = api.unchecked().send(api.authorized("/api/v2/nothing-here", token)
        .header("X-Request-Id", "client-42.retry:1").GET());

    assertThat(response.header("X-Request-Id")).isEqualTo("client-42.retry:1");
    assertThat(assertProblem(response, 404).getString("request_id")).isEqualTo("client-42.retry:1");
  }

  @Test
  @DisplayName("without X-Request-Id a UUID is generated and returned on success and error alike")
  void requestIdGenerated() {
    ApiClient.Response ok = api.get("/health/live", null);
    ApiClient.Response problem = api.unchecked().get("/api/v2/nothing-here", token);

    assertThat(ok.header("X-Request-Id")).matches(UUID);
    assertThat(problem.header("X-Request-Id")).matches(UUID).isNotEqualTo(ok.header("X-Request-Id"));
    assertThat(assertProblem(problem, 404).getString("request_id")).isEqualTo(problem.header("X-Request-Id"));
  }

  @Test
  @DisplayName("an unsafe X-Request-Id (spaces, over 128 characters) is replaced by a generated one")
  void unsafeRequestIdReplaced() {
    for (String unsafe : new String[] {"has spaces in it", "x".repeat(129), "<script>"}) {
      ApiClient.Response response = api.send(api.authorized("/health/live", null).header("X-Request-Id", unsafe).GET());
      assertThat(response.header("X-Request-Id")).as("for %s", unsafe).matches(UUID);
    }
  }

  @Test
  @DisplayName("a CORS preflight from an allowed origin is answered with Access-Control-Allow-Origin")
  void preflightFromAllowedOrigin() {
    ApiClient.Response response = preflight(api, ALLOWED_ORIGIN);

    assertThat(response.status()).isBetween(200, 204);
    assertThat(response.header("Access-Control-Allow-Origin")).isEqualTo(ALLOWED_ORIGIN);
    assertThat(response.header("Access-Control-Allow-Methods")).contains("POST");
    assertThat(response.header("Access-Control-Allow-Headers").toLowerCase())
        .contains("authorization").contains("content-type");
  }

  @Test
  @DisplayName("a CORS preflight for the PATCH and PUT operations (users, webhooks, own password) allows those methods")
  void preflightForPatchAndPut() {
    Map<String, String> operations = Map.of("/api/v2/users/alice", "PATCH",
        "/api/v2/webhooks/" + java.util.UUID.randomUUID(), "PATCH", "/api/v2/users/me/password", "PUT");
    operations.forEach((path, method) -> {
      ApiClient.Response response = preflight(api, ALLOWED_ORIGIN, method, path);

      assertThat(response.status()).as("%s %s", method, path).isBetween(200, 204);
      assertThat(response.header("Access-Control-Allow-Origin")).isEqualTo(ALLOWED_ORIGIN);
      assertThat(response.header("Access-Control-Allow-Methods").split("\\s*,\\s*")).as("%s %s", method, path)
          .contains(method);
    });
  }

  @Test
  @DisplayName("a request from an allowed origin gets Access-Control-Allow-Origin and the exposed headers")
  void simpleRequestFromAllowedOrigin() {
    ApiClient.Response response = api.send(api.authorized("/api/v2/calls", token).header("Origin", ALLOWED_ORIGIN).GET());

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.header("Access-Control-Allow-Origin")).isEqualTo(ALLOWED_ORIGIN);
    assertThat(response.header("Access-Control-Expose-Headers")).contains("X-Request-Id");
  }

  @Test
  @DisplayName("a CORS preflight from another origin gets no Access-Control-Allow-Origin")
  void preflightFromOtherOrigin() {
    ApiClient.Response response = preflight(api, "https://evil.example.com");

    assertThat(response.header("Access-Control-Allow-Origin")).isNull();
    // Off the contract on purpose: the CORS handler refuses the origin before any operation runs.
    ApiClient.Response simple = api.unchecked().send(api.authorized("/health", null)
        .header("Origin", "https://evil.example.com").GET());
    assertThat(simple.header("Access-Control-Allow-Origin")).isNull();
  }

  @Test
  @DisplayName("without CORS_ALLOWED_ORIGINS no response carries CORS headers")
  void noCorsByDefault() throws Exception {
    try (TestApp plain = TestApp.start()) {
      ApiClient client = plain.client();

      ApiClient.Response preflight = preflight(client, ALLOWED_ORIGIN);
      ApiClient.Response simple = client.send(client.authorized("/health", null).header("Origin", ALLOWED_ORIGIN).GET());

      for (ApiClient.Response response : new ApiClient.Response[] {preflight, simple}) {
        assertThat(response.headers().keySet()).noneMatch(name -> name.toLowerCase().startsWith("access-control-"));
      }
      assertThat(simple.status()).isEqualTo(200);
    }
  }

  /** A CORS preflight: answered by the CORS handler, not by an operation of the contract. */
  private static ApiClient.Response preflight(ApiClient client, String origin) {
    return preflight(client, origin, "POST", "/api/v2/calls");
  }

  private static ApiClient.Response preflight(ApiClient client, String origin, String method, String path) {
    return client.unchecked().send(HttpRequest.newBuilder(URI.create(client.base() + path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "authorization,content-type")
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
  }

  @Test
  @DisplayName("Swagger UI is served at /docs with its assets from the jar")
  void swaggerUi() {
    ApiClient.Response page = api.get("/docs", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Type")).startsWith("text/html");

    ApiClient.Response bundle = api.get("/docs/assets/swagger-ui-bundle.js", null);
    assertThat(bundle.status()).isEqualTo(200);
    assertThat(bundle.body().length()).isGreaterThan(100_000);
    assertThat(api.get("/docs/assets/swagger-ui.css", null).status()).isEqualTo(200);
    assertThat(api.get("/docs/init.js", null).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("ReDoc is served at /redoc with its bundle from the jar")
  void redoc() {
    ApiClient.Response page = api.get("/redoc", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Type")).startsWith("text/html");

    ApiClient.Response bundle = api.get("/redoc/assets/redoc.standalone.js", null);
    assertThat(bundle.status()).isEqualTo(200);
    assertThat(bundle.body().length()).isGreaterThan(100_000);
  }

  @Test
  @DisplayName("the root redirects to /docs")
  void rootRedirects() {
    ApiClient.Response response = api.get("/", null);

    assertThat(response.status()).isBetween(301, 308);
    assertThat(response.header("Location")).isEqualTo("/docs");
  }

  @Test
  @DisplayName("/openapi.yaml serves the full contract, the form-encoded token operation included")
  void contractServed() {
    ApiClient.Response response = api.get("/openapi.yaml", null);

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.header("Content-Type")).contains("yaml");
    JsonObject contract = Utils.yamlStringToJson(response.body()).result();
    JsonObject token = contract.getJsonObject("paths").getJsonObject("/api/v2/token").getJsonObject("post");
    assertThat(token.getString("operationId")).isEqualTo("createToken");
    assertThat(token.getJsonObject("requestBody").getJsonObject("content").fieldNames())
        .containsExactly("application/x-www-form-urlencoded");
    assertThat(contract.getJsonObject("components").getJsonObject("securitySchemes").fieldNames())
        .contains("bearerAuth", "oauth2Password");
    assertThat(contract.getJsonArray("servers")).as("relative: Swagger UI calls the server it was opened from")
        .containsExactly(new JsonObject().put("url", "/")
            .put("description", "This server (the address this contract was served from)"));
    assertThat(contract.getJsonObject("info").getString("title")).isNotBlank();
    assertThat(contract.getJsonArray("tags")).as("the key after servers is kept").isNotEmpty();
    assertThat(response.body()).doesNotContain("localhost:8000");
  }
}
