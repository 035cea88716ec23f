package dev.contactcenter.support;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A small blocking HTTP client for tests (they run on the JUnit thread, never an event loop): what an API
 * consumer would send, with helpers for the token flow and JSON bodies. Every response is checked against
 * openapi.yaml ({@link ContractCheck}); a test that deliberately goes off the contract (an unknown path, a method the
 * contract does not list) says so with {@link #unchecked()}.
 */
public final class ApiClient {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final boolean checked;

  public ApiClient(String base) {
    this(base, true);
  }

  private ApiClient(String base, boolean checked) {
    this.base = base;
    this.checked = checked;
  }

  /** The same client without the contract check, for requests a test sends off the contract on purpose. */
  public ApiClient unchecked() {
    return new ApiClient(base, false);
  }

  public String base() {
    return base;
  }

  public record Response(int status, Map<String, java.util.List<String>> headers, String body) {

    public JsonObject json() {
      return new JsonObject(body);
    }

    public String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .findFirst().map(e -> e.getValue().get(0)).orElse(null);
    }
  }

  public Response token(String username, String password) {
    return form("/api/v2/token", Map.of("grant_type", "password", "username", username, "password", password));
  }

  /** A bearer token for the user, failing the test when the credentials are refused. */
  public String login(String username, String password) {
    Response r = token(username, password);
    if (r.status() != 200) {
      throw new AssertionError("login failed: " + r.status() + " " + r.body());
    }
    return r.json().getString("access_token");
  }

  public Response form(String path, Map<String, String> fields) {
    String body = fields.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  public Response get(String path, String token) {
    return send(authorized(path, token).GET());
  }

  public Response delete(String path, String token) {
    return send(authorized(path, token).DELETE());
  }

  public Response post(String path, String token, JsonObject body) {
    return post(path, token, body, Map.of());
  }

  public Response post(String path, String token, JsonObject body, Map<String, String> headers) {
    HttpRequest.Builder request = authorized(path, token);
    headers.forEach(request::header);
    if (body == null) {
      request.POST(HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    }
    return send(request);
  }

  public Response send(HttpRequest.Builder request) {
    HttpRequest built = request.timeout(Duration.ofSeconds(30)).build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(built, HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new AssertionError("HTTP request failed: " + e, e);
    }
    if (checked) {
      ContractCheck.get().check(built.method(), built.uri(), response.statusCode(), response.headers().map(),
          response.body());
    }
    return new Response(response.statusCode(), response.headers().map(),
        new String(response.body(), StandardCharsets.UTF_8));
  }

  public HttpRequest.Builder authorized(String path, String token) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path));
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }
}
