package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.DB_PING;

import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.config.DatabasePoolSettings;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.lifecycle.InFlight;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * Owns the reactive PostgreSQL pool: the only runtime code that speaks SQL. Answers {@code db.*} requests
 * and publishes every accepted call transition on {@code calls.status.all} and {@code calls.status.owner.<owner>}.
 */
public final class PersistenceVerticle extends VerticleBase {

  private static final long DRAIN_MAX_MS = 10_000;
  /** Above the longest statement of this package: each is prepared once per connection. */
  static final int PREPARED_STATEMENT_CACHE_SQL_LIMIT = 16_384;
  /** How the pools' connections name themselves in pg_stat_activity. */
  static final String APPLICATION_NAME = "contact-center";
  static final String TRANSITIONS_APPLICATION_NAME = "contact-center transitions";
  /** At most this, or the pool's lifetime if shorter (see {@link DatabasePoolSettings#lifetimeSeconds}). */
  static final int TRANSITION_CONNECTION_LIFETIME_SECONDS = 10;

  private final DatabaseUrl url;
  private final DatabasePoolSettings poolSettings;
  private final InFlight work = new InFlight();
  private final DatabaseReplies replies = new DatabaseReplies(work);
  private Pool pool;
  /** The transition batcher's own connections (see {@link #start}). */
  private Pool transitionPool;
  private DatabaseProbe probe;
  private TransitionBatcher transitions;
  private CreationBatcher creations;
  private WebhookStore webhooks;
  private RateWindowStore rateWindows;

  public PersistenceVerticle(DatabaseUrl url, int poolSize) {
    this(url, DatabasePoolSettings.ofSize(poolSize));
  }

  public PersistenceVerticle(DatabaseUrl url, DatabasePoolSettings poolSettings) {
    this.url = url;
    this.poolSettings = poolSettings;
  }

  @Override
  public Future<?> start() {
    PgConnectOptions connect = PgConnectOptions.fromUri(url.reactiveUri())
        .setCachePreparedStatements(true)
        // The client caches only statements shorter than 2,048 characters by default: the transition batch (2,152)
        // was parsed, analysed and planned again at every execution (about 1 ms of PostgreSQL CPU per batch).
        .setPreparedStatementCacheSqlLimit(PREPARED_STATEMENT_CACHE_SQL_LIMIT)
        .setPipeliningLimit(256)
        .setReconnectAttempts(0);
    pool = pool(new PgConnectOptions(connect).addProperty("application_name", APPLICATION_NAME),
        poolSettings.size(), poolSettings.lifetimeSeconds());
    // The transition batch statement gets a custom plan per execution while its batches are small (the planner
    // sees its arrays' sizes): planning it cost ~0.4 ms, as much as running it. On its own connections it is
    // planned once per connection, generically: one connection per statement the batcher has in flight. Connections
    // are replaced sooner than the main pool's: this statement runs hundreds of times a second, so a plan made on a
    // nearly empty table costs the most here, and two connections are cheap to replace.
    transitionPool = pool(new PgConnectOptions(connect).addProperty("plan_cache_mode", "force_generic_plan")
        .addProperty("application_name", TRANSITIONS_APPLICATION_NAME), StatementBatcher.MAX_IN_FLIGHT,
        Math.min(poolSettings.lifetimeSeconds(), TRANSITION_CONNECTION_LIFETIME_SECONDS));
    probe = new DatabaseProbe(vertx, connect);
    transitions = new TransitionBatcher(context, new TransitionStatements(transitionPool));
    creations = new CreationBatcher(context, new CreationStatements(pool));

    EventBus bus = vertx.eventBus();
    CallStatusPublisher status = new CallStatusPublisher(bus);
    // Local: on a cluster every node has its own pool, and a node's requests must use it (never another node's).
    List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
    consumers.add(bus.localConsumer(DB_PING, this::ping));
    consumers.addAll(new UserRequests(new UserRepository(pool), bus, replies).register());
    consumers.addAll(new CallRequests(new CallRepository(pool), creations, bus, replies).register());
    consumers.addAll(new DispatchStore(pool, (msg, result) -> {
      replies.reply(msg, result);
      return null;
    }, (call, previous) -> status.publish(call, previous, call.getString("updated_at"))).register(bus));
    webhooks = new WebhookStore(vertx, pool, connect);
    consumers.addAll(webhooks.register());
    rateWindows = new RateWindowStore(vertx, pool);
    consumers.add(rateWindows.register());
    LocalCodec.register(vertx);
    MessageConsumer<Object> transitionConsumer = new TransitionRequests(transitions, status, bus, replies).register();
    List<Future<Void>> registered = new ArrayList<>(consumers.stream().map(MessageConsumer::completion).toList());
    registered.add(transitionConsumer.completion());
    return Future.all(registered);
  }

  private Pool pool(PgConnectOptions connect, int size, int lifetimeSeconds) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size).setMaxWaitQueueSize(poolSettings.maxWaiting())
            .setConnectionTimeout(poolSettings.waitSeconds()).setIdleTimeout(60)
            .setMaxLifetime(lifetimeSeconds))
        // Fail fast while the database is down, so health answers promptly and requests get a clear 503.
        .with(new NetClientOptions().setConnectTimeout(2000))
        .connectingTo(connect)
        .using(vertx)
        .build();
  }

  @Override
  public Future<?> stop() {
    // Requests already accepted (a transition sent just before the ARI side stopped) finish before the pool closes.
    if (rateWindows != null) {
      rateWindows.stop();
    }
    Future<Void> listening = webhooks == null ? Future.succeededFuture() : webhooks.stop();
    return listening.eventually(() -> work.whenIdle(vertx, DRAIN_MAX_MS))
        .eventually(() -> probe == null ? Future.succeededFuture() : probe.close())
        .eventually(() -> transitionPool == null ? Future.succeededFuture() : transitionPool.close())
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close());
  }

  /**
   * The verticle's own context: requests sent from one turn of it reach the batchers before their flush, so a test
   * can count statements exactly (sent from another event loop, they may straddle two turns).
   */
  Context ownContext() {
    return context;
  }

  /** The transition batcher's own connections. */
  Pool transitionPool() {
    return transitionPool;
  }

  /** The transition batcher: its statement and transition counts show how much it batches. */
  TransitionBatcher transitions() {
    return transitions;
  }

  /** The creation batcher: its statement and creation counts show how much it batches. */
  CreationBatcher creations() {
    return creations;
  }

  /** Database requests that finished while the stop waited for them, and those it gave up on. */
  public int drained() {
    return work.finishedWhileDraining();
  }

  public int abandoned() {
    return work.running();
  }

  private void ping(Message<JsonObject> msg) {
    replies.reply(msg, probe.ping());
  }
}
