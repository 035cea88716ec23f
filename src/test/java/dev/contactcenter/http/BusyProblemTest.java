package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.BusError;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A busy database pool is a 503 the client retries in a second; a database that is down keeps the long wait. */
@DisplayName("503 for a busy database versus a database that is down")
class BusyProblemTest {

  private Vertx vertx;
  private HttpServer server;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router.get("/busy").handler(rc -> rc.fail(BusError.UNAVAILABLE.exception(BusError.BUSY_DETAIL)));
    router.get("/down").handler(rc -> rc.fail(BusError.UNAVAILABLE.exception("database unavailable")));
    router.route().failureHandler(new FailureHandler());
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("busy: 503, Retry-After 1, detail says busy")
  void busy() throws Exception {
    HttpResponse<String> response = get("/busy");
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).hasValue(Problems.BUSY_RETRY_AFTER_SECONDS);
    assertThat(new JsonObject(response.body()).getString("detail")).isEqualTo(BusError.BUSY_DETAIL);
  }

  @Test
  @DisplayName("down: 503, the usual Retry-After")
  void down() throws Exception {
    HttpResponse<String> response = get("/down");
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Retry-After")).hasValue(Problems.UNAVAILABLE_RETRY_AFTER_SECONDS);
    assertThat(new JsonObject(response.body()).getString("detail")).isEqualTo("database unavailable");
  }
}
