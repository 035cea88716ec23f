package dev.contactcenter.bench;

import static dev.contactcenter.bench.Bench.fmt;
import static dev.contactcenter.bench.Bench.values;

import dev.contactcenter.support.LoopbackCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The cluster (issue 11): 1 Asterisk behind 1 clustered node, then 2 Asterisks (two instances from the one test root)
 * behind 2 nodes, in the same run, on fresh databases of the same PostgreSQL. The same load (answered calls whose
 * callee hangs up at once, [bench-callee] 0) is spread over the nodes' APIs; reports calls/s both ways and their
 * ratio, which server each call ran on and which node owned each server. Every accepted call must end completed:
 * 0 lost, 0 stuck, 0 wrong.
 */
final class ClusterScenario {

  private static final String NAME = "cluster, Asterisk, answered (callee hangs up at once)";

  private final Bench bench;
  private final Report report;

  ClusterScenario(Bench bench) {
    this.bench = bench;
    this.report = bench.report;
  }

  void run() throws Exception {
    Asterisk second = Asterisk.start(bench.projectDir, "b");
    try {
      List<Double> one = new ArrayList<>();
      List<Double> two = new ArrayList<>();
      List<Double> ratio = new ArrayList<>();
      String load0 = Machine.loadAverage();
      for (int run = 0; run < bench.runs; run++) {
        double single = measure("cluster-1x1-" + run, List.of(bench.asterisk), 1);
        double pair = measure("cluster-2x2-" + run, List.of(bench.asterisk, second), 2);
        one.add(single);
        two.add(pair);
        ratio.add(pair / single);
      }
      String l = load0 + "→" + Machine.loadAverage();
      report.add(NAME, "1 Asterisk behind 1 node, calls/s", values(one), "", "", null, l);
      report.add(NAME, "2 Asterisks behind 2 nodes, calls/s", values(two), "", "", null, l);
      report.add(NAME, "2×2 / 1×1 (same run)", values(ratio), "×", "", null, l);
    } finally {
      second.close();
    }
  }

  /** Calls/s placed through {@code nodes} clustered services in front of {@code servers}; checks every call. */
  private double measure(String label, List<Asterisk> servers, int nodes) throws Exception {
    String db = bench.pg.freshDatabase(label);
    JsonArray list = new JsonArray();
    for (int i = 0; i < servers.size(); i++) {
      Map<String, String> ari = servers.get(i).env();
      list.add(new JsonObject().put("name", "ast-" + (char) ('a' + i)).put("ari_url", ari.get("ARI_HTTP_URL"))
          .put("username", ari.get("ARI_USERNAME")).put("password", ari.get("ARI_PASSWORD"))
          .put("app", ari.get("ARI_APP")).put("endpoint_template", Scenarios.BENCH_ENDPOINT).put("weight", 1));
    }
    List<Integer> clusterPorts = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      clusterPorts.add(LoopbackCluster.freePort());
    }
    String members = String.join(",", clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList());
    List<Service> services = new ArrayList<>();
    List<Load> loads = new ArrayList<>();
    try {
      for (int i = 0; i < nodes; i++) {
        Map<String, String> env = Service.baseEnv(Bench.freePort(), db, bench.workDir.resolve("data-" + label + i),
            bench.secret);
        env.put("ASTERISK_SERVERS", list.encode());
        env.put("NODE_NAME", label + "-node-" + (i + 1));
        env.put("CLUSTER_ENABLED", "true");
        env.put("CLUSTER_NAME", label);
        env.put("CLUSTER_HOST", "127.0.0.1");
        env.put("CLUSTER_BUS_HOST", "127.0.0.1");
        env.put("CLUSTER_PORT", String.valueOf(clusterPorts.get(i)));
        env.put("CLUSTER_MEMBERS", members);
        Service service = bench.service(label + "-node-" + (i + 1), env);
        services.add(service);
        loads.add(new Load("127.0.0.1", service.port(), 512));
      }
      Map<String, String> accepted = new ConcurrentHashMap<>();
      List<Supplier<Load.Request>> requests = new ArrayList<>();
      for (Service service : services) {
        String auth = "Bearer " + service.adminToken();
        requests.add(() -> originate(auth, accepted));
      }
      int inFlight = 8;
      // Warm-up, not measured (JIT, pools, the ARI connections).
      parallel(loads, requests, inFlight, bench.seconds(4, 1));
      Pg.awaitSettled(db, 60_000);
      List<Load.Result> results = parallel(loads, requests, inFlight, bench.seconds(10, 2));
      double perSecond = results.stream().mapToDouble(Load.Result::perSecond).sum();
      long failed = results.stream().mapToLong(Load.Result::failed).sum();
      verify(label, db, accepted, failed);
      report.note(fmt("%s: %d node(s) × %d in flight, %.0f calls/s; calls per server %s; owners %s", label, nodes,
          inFlight, perSecond, query(db, "SELECT server, count(*) FROM calls GROUP BY server ORDER BY server"),
          query(db, "SELECT server, owner_node FROM asterisk_server_owners ORDER BY server")));
      return perSecond;
    } finally {
      for (Load load : loads) {
        load.close();
      }
      for (Service service : services) {
        service.close();
      }
    }
  }

  private static Load.Request originate(String auth, Map<String, String> accepted) {
    String body = "{\"phone_number\":\"" + Scenarios.number(0) + "\"}";
    return new Load.Request(HttpMethod.POST, "/api/v2/calls", auth, "application/json", Buffer.buffer(body), answer -> {
      if (answer.status() == 201) {
        accepted.put(answer.body().toJsonObject().getString("call_id"), "completed");
      }
    });
  }

  /** The same closed loop against every node at once. */
  private static List<Load.Result> parallel(List<Load> loads, List<Supplier<Load.Request>> requests, int inFlight,
      long millis) {
    List<CompletableFuture<Load.Result>> runs = new ArrayList<>();
    for (int i = 0; i < loads.size(); i++) {
      Load load = loads.get(i);
      Supplier<Load.Request> next = requests.get(i);
      runs.add(CompletableFuture.supplyAsync(() -> load.closedLoop(inFlight, millis, next)));
    }
    return runs.stream().map(CompletableFuture::join).toList();
  }

  /** 0 lost, 0 stuck, 0 wrong, 0 refused requests; a failure of the run otherwise. */
  private void verify(String label, String db, Map<String, String> accepted, long failedRequests) {
    long stuck = Pg.awaitSettled(db, 120_000);
    Map<String, Pg.CallRow> rows = Pg.calls(db);
    long lost = 0;
    long wrong = 0;
    for (Map.Entry<String, String> call : accepted.entrySet()) {
      Pg.CallRow row = rows.get(call.getKey());
      if (row == null) {
        lost++;
      } else if (!call.getValue().equals(row.status())) {
        wrong++;
      }
    }
    report.note(fmt("%s: %,d calls accepted; lost %d, stuck %d, wrong %d, requests refused %d", label,
        accepted.size(), lost, stuck, wrong, failedRequests));
    if (lost > 0 || stuck > 0 || wrong > 0 || failedRequests > 0 || accepted.isEmpty()) {
      report.fail(fmt("%s: %d lost, %d stuck, %d wrong call(s), %d request(s) refused, %d accepted", label, lost,
          stuck, wrong, failedRequests, accepted.size()));
    }
  }

  private static String query(String db, String sql) {
    StringBuilder out = new StringBuilder("[");
    try (Connection c = Pg.connect(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.append(out.length() > 1 ? ", " : "").append(rs.getString(1)).append('=').append(rs.getString(2));
      }
    } catch (Exception e) {
      out.append("unreadable: ").append(e.getMessage());
    }
    return out.append(']').toString();
  }
}
