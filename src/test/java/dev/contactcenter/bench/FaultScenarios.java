package dev.contactcenter.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * Faults with calls in flight on the real Asterisk (issue 9): PostgreSQL stopped for 10 s, SIGTERM and restart,
 * kill -9 and restart. Every call's truth comes from its number ([lifecycle-callee]: last four digits RRTT = rings
 * RR s, talks TT s), so the harness knows each call's true status and duration and counts the calls recorded
 * wrong, the calls stuck, and the worst duration error.
 */
final class FaultScenarios {

  /** Calls in flight when the fault hits. */
  static final int CALLS = 50;
  static final String ENDPOINT = "Local/{digits}@lifecycle-callee/n";

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Bench bench;
  private final Report report;

  FaultScenarios(Bench bench) {
    this.bench = bench;
    this.report = bench.report;
  }

  private interface Fault {
    Service hit(Service svc, Map<String, String> env, String label) throws Exception;
  }

  void run() throws Exception {
    // Calls end during the outage: what the service records while it cannot write, and after.
    scenario("database stopped 10 s", "db", i -> 1 + i % 3, i -> 2 + i % 12, (svc, env, label) -> {
      bench.pg.outage(10_000);
      return svc;
    });
    // Calls outlive the restart: the service must follow them again and record their true end. They are all
    // answered before the fault: a callee who answers while no instance has the ARI application's socket open is
    // hung up by Asterisk (the Stasis application is inactive), whatever the service does (docs/PRODUCTION.md).
    scenario("SIGTERM, restart", "sigterm", i -> 1, i -> 25 + i % 10, (svc, env, label) -> {
      double exit = svc.sigterm();
      report.add("faults, SIGTERM, restart (" + CALLS + " calls in flight)", "exit after SIGTERM", exit, "s",
          "≤ SHUTDOWN_GRACE_SECONDS (15)", exit <= 15, Machine.loadAverage());
      return bench.service(label, env);
    });
    scenario("kill -9, restart", "kill9", i -> 1, i -> 25 + i % 10, (svc, env, label) -> {
      svc.kill9();
      return bench.service(label, env);
    });
  }

  private void scenario(String name, String key, IntUnaryOperator ringOf, IntUnaryOperator talkOf, Fault fault)
      throws Exception {
    String load0 = Machine.loadAverage();
    String label = "faults-" + key;
    String db = bench.pg.freshDatabase(label);
    Map<String, String> extra = new HashMap<>(bench.asterisk.env());
    extra.put("ARI_ENDPOINT_TEMPLATE", ENDPOINT);
    extra.put("SHUTDOWN_GRACE_SECONDS", "15");
    Map<String, String> env = bench.serviceEnv(label, db, extra);
    Service svc = bench.service(label, env);
    try {
      String auth = "Bearer " + svc.adminToken();
      Map<String, Integer> truth = new LinkedHashMap<>();
      for (int i = 0; i < CALLS; i++) {
        int ring = ringOf.applyAsInt(i);
        int talk = talkOf.applyAsInt(i);
        truth.put(place(svc, auth, String.format("+1555%02d%02d%02d", i, ring, talk)), talk);
      }
      // Mid-flight: some calls ringing, some answering, some talking.
      Service.sleep(2500);
      svc = fault.hit(svc, env, label);
      long stuck = Pg.awaitSettled(db, 120_000);
      Map<String, Pg.CallRow> rows = Pg.calls(db);
      long wrong = 0;
      long worst = 0;
      Map<String, Long> wrongBy = new LinkedHashMap<>();
      for (Map.Entry<String, Integer> call : truth.entrySet()) {
        Pg.CallRow row = rows.get(call.getKey());
        if (row == null || !"completed".equals(row.status()) || row.duration() == null) {
          wrong++;
          wrongBy.merge(row == null ? "missing" : row.status(), 1L, Long::sum);
          continue;
        }
        long error = Math.abs(row.duration() - call.getValue());
        worst = Math.max(worst, error);
        if (error > 1) {
          wrong++;
          wrongBy.merge("completed, duration off by > 1 s", 1L, Long::sum);
        }
      }
      String scenario = "faults, " + name + " (" + CALLS + " calls in flight)";
      String l = load0 + "→" + Machine.loadAverage();
      report.add(scenario, "calls wrong (status or duration)", wrong, "", "0", wrong == 0, l);
      report.add(scenario, "calls stuck (active 120 s after the fault)", stuck, "", "0", stuck == 0, l);
      report.add(scenario, "worst duration error", worst, "s", "0–1 (whole seconds)", worst <= 1, l);
      if (!wrongBy.isEmpty()) {
        report.note(scenario + ": wrong calls by recorded outcome: " + wrongBy);
      }
      if (wrong + stuck > 0 || worst > 1) {
        String what = scenario + ": " + wrong + " call(s) wrong, " + stuck + " stuck, worst duration error " + worst + " s";
        report.fail(what);
      }
    } finally {
      svc.stop();
    }
  }

  private static String place(Service svc, String auth, String number) throws IOException, InterruptedException {
    String body = new JsonObject().put("phone_number", number).put("extension", "hold").encode();
    HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(svc.uri("/api/v2/calls"))
        .header("Authorization", auth).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 201) {
      throw new IOException("placing " + number + " answered " + answer.statusCode() + ": " + answer.body());
    }
    return new JsonObject(answer.body()).getString("call_id");
  }
}
