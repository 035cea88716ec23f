package dev.contactcenter.cluster;

import dev.contactcenter.support.StandaloneAri;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Asks each sandbox every few milliseconds whether the service's ARI application is registered (a WebSocket holds
 * it), as {@code GET /ari/applications/{app}} answers on Asterisk: 404 while no client has it. Between a server's
 * owners, a moment without a client loses that server's events and hangs up callees who answer.
 */
final class AppRegistrationWatch implements AutoCloseable {

  private static final String APP = "contact-center";

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicBoolean watching = new AtomicBoolean(true);
  private final List<String> unregistered = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Thread thread;
  private volatile long rounds;

  AppRegistrationWatch(List<StandaloneAri> servers, List<String> names) {
    thread = new Thread(() -> {
      while (watching.get()) {
        for (int i = 0; i < servers.size(); i++) {
          int status = status(servers.get(i));
          if (status != 200) {
            unregistered.add(names.get(i) + " answered " + status + " at " + LocalTime.now());
          }
        }
        rounds++;
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "app-registration-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private int status(StandaloneAri ari) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(ari.url() + "/ari/applications/" + APP))
        .header("Authorization", ari.basicAuth()).timeout(Duration.ofSeconds(2)).GET().build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Each moment a server's application had no client (or did not answer), in order. */
  List<String> unregistered() {
    return List.copyOf(unregistered);
  }

  long rounds() {
    return rounds;
  }

  @Override
  public void close() throws InterruptedException {
    watching.set(false);
    thread.join(5_000);
  }
}
