package dev.contactcenter.persistence;

import dev.contactcenter.bench.Machine;
import dev.contactcenter.bench.Pg;
import dev.contactcenter.bench.PgStats;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TempDirs;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * PostgreSQL's CPU per call on the service's write path, without the service or Asterisk ({@code bench/db-cost.sh}):
 * the creation and transition statements of the persistence verticle ({@link CreationStatements},
 * {@link TransitionStatements}) in batches of a fixed size, one statement at a time, on each variant's own
 * database: the migrations as they are, then each with one SQL file applied after them. The variants take turns in
 * chunks of 1,000 calls and only their own two backends' CPU (from /proc) counts, so a drift of the machine's speed
 * touches them alike: two variants of the same SQL measure within ~3 % of each other, where whole bench runs move
 * ±10 %. A statement or migration change is judged in a minute, before a bench run confirms it end to end.
 *
 * <p>Arguments: {@code [busy|answered] [calls per variant] [creations per statement] [transitions per statement]
 * [users] [variant.sql ...]}. A busy call is created, then dialing and busy; an answered one dialing, answered and
 * completed. The transitions of consecutive calls interleave as on Asterisk.
 *
 * <p>With {@code BENCH_PG_STATS=1} the variants' databases live on a PostgreSQL of their own with pg_stat_statements
 * (the bench's {@link Pg}), and each variant's measured calls are also printed statement by statement, the
 * statements run inside functions and triggers included ({@link PgStats}): where inside a statement the time goes.
 * The extension costs CPU itself, so compare the CPU figures of runs made the same way.
 */
public final class CallPathCostProbe {

  private static final String HASH = "$2a$04$abcdefghijklmnopqrstuuN0aYcW1x4Q8m2Qx2o0J6b0aZ8q1E3xe";

  public static void main(String[] args) throws Exception {
    String path = args.length > 0 ? args[0] : "busy";
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    int creationBatch = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int transitionBatch = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    int users = args.length > 4 ? Integer.parseInt(args[4]) : 8;
    // Each variant: a database with the migrations plus, except for the first, one SQL file applied after them.
    List<String> variants = new ArrayList<>();
    variants.add("");
    for (int i = 5; i < args.length; i++) {
      variants.add(args[i]);
    }
    Vertx vertx = Vertx.vertx();
    Path statsDir = PgStats.enabled() ? Files.createTempDirectory("cc-db-cost-pg") : null;
    try (Pg statsServer = statsDir == null ? null : Pg.start(statsDir)) {
      List<Probe> probes = new ArrayList<>();
      for (String variant : variants) {
        String url = statsServer == null ? TestDatabase.freshDatabaseUrl() : statsServer.freshDatabase("db_cost");
        probes.add(Probe.create(vertx, url, variant, path, creationBatch, transitionBatch, users));
      }
      for (Probe probe : probes) {
        probe.run(Math.min(calls, Math.max(1000, calls / 5)));
        // As autovacuum would within its first minute: plans made on an empty table scan it sequentially.
        TestDatabase.execute(probe.url(), "ANALYZE");
        if (statsServer != null) {
          PgStats.reset(statsServer.adminUrl(), probe.url());
        }
      }
      // Variants alternate in chunks, so a drift of the machine's speed touches them alike.
      int chunk = Math.min(1000, calls);
      double[] cpu = new double[probes.size()];
      double[] creation = new double[probes.size()];
      for (int done = 0, round = 0; done < calls; done += chunk, round++) {
        for (int k = 0; k < probes.size(); k++) {
          // Each round in another order: no variant always runs first.
          int v = (k + round) % probes.size();
          double before = probes.get(v).backendCpu();
          double beforeCreation = Machine.cpuSeconds(probes.get(v).backends()[0], false);
          probes.get(v).run(chunk);
          cpu[v] += probes.get(v).backendCpu() - before;
          creation[v] += Machine.cpuSeconds(probes.get(v).backends()[0], false) - beforeCreation;
        }
      }
      System.out.printf("path %s, %d calls per variant, %d creations and %d transitions per statement, %d users%n",
          path, calls, creationBatch, transitionBatch, users);
      for (int v = 0; v < probes.size(); v++) {
        System.out.printf("  %-40s PostgreSQL CPU per call: %7.1f µs (%.3f× the first), of which creation %.1f µs%n",
            variants.get(v).isEmpty() ? "migrations as they are" : variants.get(v), cpu[v] * 1e6 / calls,
            cpu[v] / cpu[0], creation[v] * 1e6 / calls);
        // A plan that scans calls sequentially makes every statement's cost grow with the table: say so.
        System.out.println("    sequential scans of calls: " + TestDatabase.queryString(probes.get(v).url(),
            "SELECT seq_scan || ' (' || seq_tup_read || ' rows read)' FROM pg_stat_user_tables WHERE relname = 'calls'"));
        if (statsServer != null) {
          PgStats.print(variants.get(v).isEmpty() ? "migrations as they are" : variants.get(v),
              statsServer.adminUrl(), probes.get(v).url(), calls);
        }
      }
      // Its pools before their server.
      vertx.close().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      if (statsDir != null) {
        TempDirs.deleteRecursively(statsDir);
      }
    }
    System.exit(0);
  }

  private record Probe(String path, CreationStatements creations, TransitionStatements transitions,
      int creationBatch, int transitionBatch, int users, long[] backends, String url) {

    static Probe create(Vertx vertx, String url, String variant, String path, int creationBatch, int transitionBatch,
        int users) throws Exception {
      Migrations.migrate(DatabaseUrl.parse(url));
      if (!variant.isEmpty()) {
        TestDatabase.execute(url, Files.readString(Path.of(variant)));
      }
      StringBuilder insert = new StringBuilder("INSERT INTO users (username, password_hash) VALUES ");
      for (int u = 0; u < users; u++) {
        insert.append(u == 0 ? "" : ", ").append("('probe-").append(u).append("', '").append(HASH).append("')");
      }
      TestDatabase.execute(url, insert.toString());
      PgConnectOptions connect = PgConnectOptions.fromUri(DatabaseUrl.parse(url).reactiveUri())
          .setCachePreparedStatements(true)
          .setPreparedStatementCacheSqlLimit(PersistenceVerticle.PREPARED_STATEMENT_CACHE_SQL_LIMIT);
      Pool creationPool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(connect)
          .using(vertx).build();
      Pool transitionPool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
          .connectingTo(new PgConnectOptions(connect).addProperty("plan_cache_mode", "force_generic_plan"))
          .using(vertx).build();
      return new Probe(path, new CreationStatements(creationPool), new TransitionStatements(transitionPool),
          creationBatch, transitionBatch, users, new long[] {backend(creationPool), backend(transitionPool)}, url);
    }

    double backendCpu() {
      return Machine.cpuSeconds(backends[0], false) + Machine.cpuSeconds(backends[1], false);
    }

    void run(int calls) throws Exception {
      List<UUID> ids = new ArrayList<>(calls);
      for (int i = 0; i < calls; i += creationBatch) {
        List<JsonObject> batch = new ArrayList<>();
        for (int k = i; k < Math.min(calls, i + creationBatch); k++) {
          UUID id = UUID.randomUUID();
          ids.add(id);
          batch.add(new JsonObject().put("call_id", id.toString()).put("owner", "probe-" + (k % users))
              .put("phone_number", "+15550000001").put("context", "outbound-ivr").put("extension", "s")
              .put("priority", 1).put("timeout", 30000).put("variables", new JsonObject())
              .put("limits", new JsonObject().put("concurrent_calls", 1_000_000).put("calls_per_day", 100_000_000)));
        }
        creations.insert(batch).await(30, TimeUnit.SECONDS);
      }
      OffsetDateTime at = OffsetDateTime.now();
      List<CallState> steps = "busy".equals(path) ? List.of(CallState.DIALING, CallState.BUSY)
          : List.of(CallState.DIALING, CallState.ANSWERED, CallState.COMPLETED);
      // The steps interleave across batches as they do on Asterisk: the calls of one statement are at different steps.
      List<TransitionStatements.Transition> all = new ArrayList<>();
      for (int i = 0; i < ids.size(); i += transitionBatch) {
        for (CallState step : steps) {
          for (int k = i; k < Math.min(ids.size(), i + transitionBatch); k++) {
            all.add(transition(ids.get(k), step, at));
          }
        }
      }
      for (int i = 0; i < all.size(); i += transitionBatch) {
        Future<TransitionStatements.Stored[]> applied =
            transitions.apply(all.subList(i, Math.min(all.size(), i + transitionBatch)));
        TransitionStatements.Stored[] rows = applied.await(30, TimeUnit.SECONDS);
        for (TransitionStatements.Stored row : rows) {
          if (row == null) {
            throw new IllegalStateException("a transition was refused: the probe's sequence is wrong");
          }
        }
      }
    }

    private static TransitionStatements.Transition transition(UUID id, CallState to, OffsetDateTime at) {
      return switch (to) {
        case BUSY -> new TransitionStatements.Transition(id, to, at, null, 17, "User busy", null, "ari", null, false,
            null);
        case COMPLETED -> new TransitionStatements.Transition(id, to, at, null, 16, "Normal Clearing", null, "ari",
            at, false, null);
        case DIALING -> new TransitionStatements.Transition(id, to, at, null, null, null, id.toString(), "ari", null,
            false, null);
        default -> new TransitionStatements.Transition(id, to, at, null, null, null, null, "ari", null, false, null);
      };
    }
  }

  private static long backend(Pool pool) throws Exception {
    return pool.query("SELECT pg_backend_pid() AS pid").execute().await(10, TimeUnit.SECONDS).iterator().next()
        .getInteger("pid");
  }
}
