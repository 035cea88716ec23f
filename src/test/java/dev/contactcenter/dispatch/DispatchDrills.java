package dev.contactcenter.dispatch;

import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.ServiceProcess;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * The drills the dispatch ITs run against real Asterisks, whatever the number of servers: a burst submitted at once,
 * and a kill -9 of the dialling service mid-drain. What was dialled is read from {@link AriChannelProbe}s, one per
 * Asterisk.
 */
final class DispatchDrills {

  private DispatchDrills() {
  }

  /** Submits {@code numbers} at once from 50 client threads; returns the call ids in order. */
  static List<String> submitAtOnce(ApiClient api, String token, List<String> numbers) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(50);
    try {
      List<Future<ApiClient.Response>> answers = new ArrayList<>();
      for (String number : numbers) {
        answers.add(pool.submit(() -> api.post("/api/v2/calls", token, new JsonObject().put("phone_number", number))));
      }
      List<String> ids = new ArrayList<>();
      for (Future<ApiClient.Response> answer : answers) {
        ApiClient.Response created = answer.get();
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().getString("status")).isIn("dialing", "queued");
        ids.add(created.json().getString("call_id"));
      }
      return ids;
    } finally {
      pool.shutdown();
    }
  }

  /** How many channels each call got, over every probe (every Asterisk). */
  static Map<String, Long> channelsPerCall(List<AriChannelProbe> probes) {
    return probes.stream().flatMap(p -> p.created().stream()).collect(Collectors.groupingBy(
        AriChannelProbe.Created::id, Collectors.counting()));
  }

  /**
   * Submits {@code n} calls at once (busy and answered-then-hung-up-by-the-callee numbers in turn) to a service whose
   * servers each allow {@code callsPerSecond}, and checks from each Asterisk's own channel creations: no second above
   * the limit on any server, every server used, each call dialled exactly once on the server it names, every call in
   * its right final state, and the queue drained (nothing queued or in progress at the end).
   *
   * @param probes each server's name to the probe on its Asterisk
   */
  static void burst(TestApp app, Map<String, AriChannelProbe> probes, int n, int callsPerSecond, String numberPrefix,
      String label) throws Exception {
    ApiClient api = app.client();
    String token = api.login("admin", TestApp.ADMIN_PASSWORD);
    List<String> numbers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // Busy (digit 1) and answered-then-hung-up-by-the-callee (digit 5) in turn.
      numbers.add(String.format("%s%06d%d", numberPrefix, i, i % 2 == 0 ? 1 : 5));
    }
    long started = System.nanoTime();
    List<String> ids = submitAtOnce(api, token, numbers);
    Duration accepted = Duration.ofNanos(System.nanoTime() - started);
    Map<String, String> serverOf = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      JsonObject call = Calls.awaitFinal(api, token, ids.get(i), Duration.ofSeconds(90));
      assertThat(call.getString("status")).as(call.encode()).isEqualTo(i % 2 == 0 ? "busy" : "completed");
      serverOf.put(ids.get(i), call.getString("server"));
    }
    Duration drained = Duration.ofNanos(System.nanoTime() - started);
    Map<String, Long> perCall = channelsPerCall(List.copyOf(probes.values()));
    assertThat(perCall.keySet()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(perCall.values()).allMatch(count -> count == 1);
    StringBuilder perServer = new StringBuilder();
    for (Map.Entry<String, AriChannelProbe> server : probes.entrySet()) {
      List<AriChannelProbe.Created> created = server.getValue().created();
      int worst = AriChannelProbe.maxInAnySecond(created.stream().map(AriChannelProbe.Created::at).toList());
      perServer.append(String.format(" %s: %d calls, worst second %d;", server.getKey(), created.size(), worst));
      assertThat(worst).as("worst second on " + server.getKey()).isLessThanOrEqualTo(callsPerSecond);
      // Every server takes a fair part of a burst (the chooser spreads by load), and dials only its own calls.
      assertThat(created.size()).as("calls dialled on " + server.getKey()).isGreaterThanOrEqualTo(n / (4 * probes.size()));
      assertThat(created).allSatisfy(c -> assertThat(serverOf.get(c.id())).isEqualTo(server.getKey()));
    }
    System.out.printf("%s %d calls: accepted in %d ms, drained in %d ms,%s limit %d per server%n", label, n,
        accepted.toMillis(), drained.toMillis(), perServer, callsPerSecond);
    assertThat(TestDatabase.queryLong(app.databaseUrl(), "SELECT count(*) FROM calls WHERE status IN ('queued', "
        + "'pending', 'dialing', 'ringing', 'answered')")).isZero();
  }

  /**
   * Submits {@code n} calls to numbers that are busy ({@code numberPrefix} + 6 digits + "1"), kills the service with
   * SIGKILL once about 3 s of dialling were seen, restarts it, and checks that every call ended, none was dialled
   * twice, and only calls the restart settled as failed may have gone undialled.
   */
  static void killNineMidDrain(Map<String, String> env, List<AriChannelProbe> probes, int n, String numberPrefix,
      String label) throws Exception {
    env.put("HTTP_PORT", Integer.toString(ServiceProcess.freePort()));
    Path logs = TempDirs.create("cc-dispatch-kill");
    List<String> ids;
    try (ServiceProcess first = ServiceProcess.start(env, logs.resolve("first.log"))) {
      first.awaitOk("/health", Duration.ofSeconds(90));
      ApiClient api = first.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      List<String> numbers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        numbers.add(String.format("%s%06d1", numberPrefix, i));
      }
      ids = submitAtOnce(api, token, numbers);
      // About 3 s of dialling at 20 per second (per server), then the dialling node dies.
      Calls.eventually(Duration.ofSeconds(30), () -> assertThat(channelsPerCall(probes).size())
          .isGreaterThanOrEqualTo(60));
      first.kill9();
    }
    int beforeRestart = channelsPerCall(probes).size();
    try (ServiceProcess second = ServiceProcess.start(env, logs.resolve("second.log"))) {
      second.awaitOk("/health", Duration.ofSeconds(90));
      ApiClient api = second.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      Map<String, Integer> statuses = new HashMap<>();
      for (String id : ids) {
        JsonObject call = Calls.awaitFinal(api, token, id, Duration.ofSeconds(60));
        statuses.merge(call.getString("status"), 1, Integer::sum);
      }
      Map<String, Long> perCall = channelsPerCall(probes);
      long twice = perCall.values().stream().filter(c -> c > 1).count();
      long neverDialled = ids.stream().filter(id -> !perCall.containsKey(id)).count();
      System.out.printf("%s kill -9: %d dialled before the kill, statuses %s, dialled twice %d, never dialled %d%n",
          label, beforeRestart, statuses, twice, neverDialled);
      assertThat(twice).isZero();
      // Every call ended: busy when dialled; the few whose dial may have left when the node died are settled.
      assertThat(statuses.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(n);
      // Only calls whose busy ended while no node followed Asterisk's events (a few per server) end otherwise.
      assertThat(statuses.getOrDefault("busy", 0)).isGreaterThanOrEqualTo(n - 5 * probes.size());
      assertThat(neverDialled).isLessThanOrEqualTo(statuses.getOrDefault("failed", 0));
      second.sigterm(Duration.ofSeconds(20));
    }
  }
}
