package dev.contactcenter.bench;

import static dev.contactcenter.bench.Bench.fmt;
import static dev.contactcenter.bench.Bench.values;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Status webhooks on vs off, same run: the event-ingestion load (answered calls, four transitions each) against a
 * service without webhooks, then one whose users each subscribed to every status, delivering to a receiver in this
 * process. Reports transitions applied per second both ways (and the time per transition they imply), deliveries
 * per second, and how long after the status change each webhook reached the receiver.
 */
final class WebhookScenario {

  private final Bench bench;
  private final Report report;

  WebhookScenario(Bench bench) {
    this.bench = bench;
    this.report = bench.report;
  }

  void run() throws Exception {
    String load0 = Machine.loadAverage();
    Measured off = ingest(false, null);
    try (Receiver receiver = new Receiver()) {
      Measured on = ingest(true, receiver);
      String l = load0 + "→" + Machine.loadAverage();
      String name = "webhooks (every status subscribed), sandbox";
      report.add(name, "transitions applied/s, webhooks off", off.perSecond(), "", "", null, l);
      report.add(name, "transitions applied/s, webhooks on", on.perSecond(), "", "", null, l);
      report.add(name, "added time per transition (1/on − 1/off)", 1e6 / on.perSecond() - 1e6 / off.perSecond(), "µs",
          "", null, l);
      // CPU is what a transition costs whatever else shares the machine; wall time is not.
      report.add(name, "service + PostgreSQL CPU per transition, webhooks off", off.cpuMicros(), "µs", "", null, l);
      report.add(name, "service + PostgreSQL CPU per transition, webhooks on (incl. delivering)", on.cpuMicros(), "µs",
          "", null, l);
      report.add(name, "added CPU per transition", on.cpuMicros() - off.cpuMicros(), "µs", "", null, l);
    }
  }

  private record Measured(double perSecond, double cpuMicros) {
  }

  /** Transitions applied per second under the ingestion load; with webhooks, also their delivery figures. */
  private Measured ingest(boolean webhooks, Receiver receiver) throws Exception {
    // The bench's logins all come from one address: the token limit is raised above them.
    Map<String, String> env = webhooks
        ? Map.of("SANDBOX_TIME_SCALE", "0", "TOKEN_RATE_LIMIT", "1000", "WEBHOOK_ALLOW_HTTP", "true",
            "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
        : Map.of("SANDBOX_TIME_SCALE", "0", "TOKEN_RATE_LIMIT", "1000", "WEBHOOKS_ENABLED", "false");
    try (Service svc = bench.scenarioService(webhooks ? "webhooks-on" : "webhooks-off", null, env)) {
      String db = svc.databaseUrl();
      // As in ingest, the calls come from several users: one user's calls_per_second limit (at most 1,000) is below
      // what the service ingests, and the figure is ingestion, not the limit. Each user subscribes one endpoint, so
      // every transition is still one delivery.
      List<String> auths = svc.newUserAuths("Bearer " + svc.adminToken(), "webhook-user", Scenarios.INGEST_USERS);
      if (webhooks) {
        for (String auth : auths) {
          subscribe(svc, auth, receiver.url());
        }
      }
      AtomicLong sent = new AtomicLong();
      Supplier<Load.Request> originate = () -> new Load.Request(HttpMethod.POST, "/api/v2/calls",
          auths.get((int) (sent.getAndIncrement() % auths.size())), "application/json",
          Buffer.buffer("{\"phone_number\":\"" + Scenarios.number(0) + "\"}"), null);
      int inFlight = 64;
      try (Load load = new Load("127.0.0.1", svc.port(), 512)) {
        // Warm-up (JIT, pools, connections), not measured: the off/on difference is small next to a cold start.
        load.closedLoop(inFlight, bench.seconds(5, 1), originate);
        Pg.awaitSettled(db, 30_000);
        if (webhooks) {
          awaitNoPending(db);
          receiver.hits.clear();
        }
        long deliveriesBefore = Pg.queryLong(db, "SELECT count(*) FROM webhook_deliveries");
        long before = Pg.queryLong(db, "SELECT count(*) FROM call_events");
        double[] cpu0 = bench.cpu(svc);
        long t0 = System.nanoTime();
        Load.Result r = load.closedLoop(inFlight, bench.seconds(10, 1), originate);
        long stuck = Pg.awaitSettled(db, 30_000);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long transitions = Pg.queryLong(db, "SELECT count(*) FROM call_events") - before;
        if (r.failed() > 0 || stuck > 0) {
          report.fail(fmt("webhooks %s: %d request(s) failed, %d call(s) stuck", webhooks ? "on" : "off", r.failed(), stuck));
        }
        if (webhooks) {
          deliveries(db, receiver, transitions, deliveriesBefore);
        }
        double[] cpu1 = bench.cpu(svc);
        double cpuMicros = (Math.max(0, cpu1[0] - cpu0[0]) + Math.max(0, cpu1[1] - cpu0[1])) * 1e6
            / Math.max(1, transitions);
        return new Measured(transitions / seconds, cpuMicros);
      }
    }
  }

  /** Pending deliveries left after two minutes (0 when all went out). */
  private static long awaitNoPending(String db) {
    long deadline = System.nanoTime() + 120_000_000_000L;
    long pending;
    while ((pending = Pg.queryLong(db, "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")) > 0
        && System.nanoTime() < deadline) {
      Service.sleep(100);
    }
    return pending;
  }

  private void deliveries(String db, Receiver receiver, long transitions, long deliveriesBefore) {
    long pending = awaitNoPending(db);
    long rows = Pg.queryLong(db, "SELECT count(*) FROM webhook_deliveries") - deliveriesBefore;
    long delivered = Pg.queryLong(db, "SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'")
        - deliveriesBefore;
    List<Receiver.Hit> hits = new ArrayList<>(receiver.hits);
    if (rows != transitions || delivered != rows || pending > 0) {
      report.fail(fmt("webhooks: %d transitions, %d deliveries recorded, %d delivered, %d still pending",
          transitions, rows, delivered, pending));
    }
    if (hits.size() < 2) {
      return;
    }
    long first = hits.stream().mapToLong(Receiver.Hit::receivedNanos).min().orElse(0);
    long last = hits.stream().mapToLong(Receiver.Hit::receivedNanos).max().orElse(0);
    double perSecond = hits.size() / Math.max(1e-3, (last - first) / 1e9);
    Samples lag = new Samples();
    for (Receiver.Hit hit : hits) {
      lag.add((long) Math.max(0, hit.receivedEpochMillis() - hit.statusAtEpochMillis()) * 1000);
    }
    String l = Machine.loadAverage();
    report.add("webhooks (every status subscribed), sandbox", "deliveries/s (first to last received)", perSecond, "", "",
        null, l);
    report.add("webhooks (every status subscribed), sandbox", "status change → received, p50",
        lag.percentile(50) / 1000.0, "ms", "", null, l);
    report.add("webhooks (every status subscribed), sandbox", "status change → received, p99",
        lag.percentile(99) / 1000.0, "ms", "", null, l);
    report.note(fmt("webhooks: %,d deliveries received for %,d transitions (default WEBHOOK_CONCURRENCY 32, 4 per "
        + "endpoint); the load generator, receiver, service and PostgreSQL share the machine", hits.size(), transitions));
  }

  private static void subscribe(Service svc, String auth, String url) throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + svc.port() + "/api/v2/webhooks"))
        .header("Authorization", auth).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("url", url)
            .put("events", new io.vertx.core.json.JsonArray().add("dialing").add("ringing").add("answered")
                .add("completed")).encode())).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IOException("subscribing answered " + r.statusCode() + ": " + r.body());
    }
  }

  /** A receiving endpoint: answers 204 and notes when each webhook arrived and when its status changed. */
  private static final class Receiver implements AutoCloseable {

    record Hit(long receivedNanos, long receivedEpochMillis, long statusAtEpochMillis) {
    }

    private final ConcurrentLinkedQueue<Hit> hits = new ConcurrentLinkedQueue<>();
    private final HttpServer server;

    Receiver() throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
      server.setExecutor(Executors.newFixedThreadPool(8));
      server.createContext("/", exchange -> {
        String body;
        try (InputStream in = exchange.getRequestBody()) {
          body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        long nanos = System.nanoTime();
        long now = System.currentTimeMillis();
        long at = Instant.parse(new JsonObject(body).getString("timestamp")).toEpochMilli();
        hits.add(new Hit(nanos, now, at));
        exchange.sendResponseHeaders(204, -1);
        exchange.close();
      });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
