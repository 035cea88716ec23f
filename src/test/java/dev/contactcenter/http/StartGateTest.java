package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Start gate: requests wait (503 + Retry-After) until the service can serve them")
class StartGateTest {

  @Test
  @DisplayName("closed: 503 problem+json with Retry-After; opened: the routes answer")
  void holdsRequestsUntilOpened() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      StartGate gate = StartGate.closed();
      Router router = Router.router(vertx);
      router.route().handler(gate::handle);
      router.get("/health").handler(rc -> rc.response().end("ok"));
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
      HttpClient client = HttpClient.newHttpClient();
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + "/health")).build();

      HttpResponse<String> starting = client.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(starting.statusCode()).isEqualTo(503);
      assertThat(starting.headers().firstValue("Retry-After")).contains("1");
      assertThat(starting.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("application/problem+json"));
      assertThat(starting.body()).contains("the service is starting");

      gate.open();
      HttpResponse<String> open = client.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(open.statusCode()).isEqualTo(200);
      assertThat(open.body()).isEqualTo("ok");
    } finally {
      vertx.close().await();
    }
  }
}
