package dev.contactcenter.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;

/** Assertions on RFC 9457 problem documents, the shape of every error the API returns. */
public final class ProblemJson {

  private ProblemJson() {
  }

  /** Asserts status, content type and required members; returns the body for further checks. */
  public static JsonObject assertProblem(ApiClient.Response response, int status) {
    assertThat(response.status()).as("status of %s", response.body()).isEqualTo(status);
    assertThat(response.header("Content-Type")).as("Content-Type").startsWith("application/problem+json");
    JsonObject body = response.json();
    assertThat(body.getString("type")).as("type").isNotBlank();
    assertThat(body.getString("title")).as("title").isNotBlank();
    assertThat(body.getInteger("status")).as("status member").isEqualTo(status);
    assertThat(body.getString("detail")).as("detail").isNotBlank();
    assertThat(body.getString("request_id")).as("request_id").isNotBlank()
        .isEqualTo(response.header("X-Request-Id"));
    return body;
  }

  /** The {@code field} members of the problem's {@code errors}. */
  public static java.util.List<String> errorFields(JsonObject problem) {
    assertThat(problem.getJsonArray("errors")).as("errors of %s", problem).isNotNull().isNotEmpty();
    return problem.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")).toList();
  }
}
