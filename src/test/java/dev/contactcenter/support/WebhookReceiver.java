package dev.contactcenter.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A real HTTP server on loopback receiving webhooks, as a customer's endpoint would (JDK server, no Vert.x):
 * records every request with its headers and body; what it answers is up to the test.
 */
public final class WebhookReceiver implements AutoCloseable {

  /** One request as received. */
  public record Received(String path, String id, String timestamp, String signature, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String status() {
      return json().getJsonObject("data").getString("status");
    }
  }

  private final List<Received> received = new ArrayList<>();
  private volatile Function<Received, Integer> answer = r -> 204;
  private volatile long delayMs;
  private volatile String redirectTo = "http://127.0.0.1:1/elsewhere";
  private HttpServer server;
  private int port;

  public static WebhookReceiver start() throws IOException {
    WebhookReceiver receiver = new WebhookReceiver();
    receiver.listen(0);
    return receiver;
  }

  /** Listens (again) on the given port, 0 for a free one. */
  public synchronized void listen(int wanted) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", wanted), 50);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::handle);
    server.start();
    port = server.getAddress().getPort();
  }

  /** Stops listening: connections are refused until {@link #listen(int)} again. */
  public synchronized void stop() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }

  public int port() {
    return port;
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  public void answer(Function<Received, Integer> answer) {
    this.answer = answer;
  }

  /** Where a 302 answer points. */
  public void redirectTo(String location) {
    this.redirectTo = location;
  }

  /** Holds every answer this long (a slow receiver). */
  public void delay(long ms) {
    this.delayMs = ms;
  }

  public List<Received> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  public List<Received> received(String path) {
    return received().stream().filter(r -> r.path().equals(path)).toList();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body;
    try (InputStream in = exchange.getRequestBody()) {
      body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Received r = new Received(exchange.getRequestURI().getPath(), exchange.getRequestHeaders().getFirst("webhook-id"),
        exchange.getRequestHeaders().getFirst("webhook-timestamp"),
        exchange.getRequestHeaders().getFirst("webhook-signature"), body);
    synchronized (received) {
      received.add(r);
    }
    if (delayMs > 0) {
      try {
        Thread.sleep(delayMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    int status = answer.apply(r);
    if (status == 302) {
      exchange.getResponseHeaders().add("Location", redirectTo);
    }
    exchange.sendResponseHeaders(status, -1);
    exchange.close();
  }

  @Override
  public void close() {
    stop();
  }
}
