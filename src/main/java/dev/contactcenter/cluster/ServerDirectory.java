package dev.contactcenter.cluster;

import static dev.contactcenter.bus.EventBusAddresses.SERVERS_LOAD;
import static dev.contactcenter.bus.EventBusAddresses.ariStatusOf;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's picture of the Asterisk servers, for choosing where a new call goes without a database query per
 * request: every {@code refreshMs} it reads each server's live-owner flag and active calls ({@code db.servers.load},
 * one query for all servers), and counts the calls it sends between two reads, so that a burst spreads over the
 * servers instead of piling on the one that looked idlest. The servers this node owns itself are always connected;
 * a standalone (non-clustered) node reaches no other node's ARI verticle, so it places calls only on its own.
 *
 * <p>A connected owner is not enough: the owner must also reach its Asterisk. Each read asks every other node's
 * owned server for its ARI status over the bus (bounded), and the servers owned here answer live; a server whose
 * owner cannot reach Asterisk gets no new call while another server can take it.
 */
public final class ServerDirectory implements Shareable {

  private static final Logger LOG = LoggerFactory.getLogger(ServerDirectory.class);
  private static final String MAP = "cc.server-directory";
  private static final String KEY = "directory";

  private record Known(boolean ownerConnected, int active, boolean ariConnected) {
  }

  /** How long a read waits for a remote owner's ARI status; an owner that does not answer counts as unreachable. */
  private static final DeliveryOptions STATUS_ASK = new DeliveryOptions().setSendTimeout(500);

  private final Vertx vertx;
  private final Map<String, Integer> weights;
  private final Supplier<List<String>> ownedHere;
  private final Predicate<String> ariConnectedHere;
  private final boolean clustered;
  private Map<String, Known> known = Map.of();
  /** Calls this node sent to each server since the last read. */
  private final Map<String, Integer> sentSinceRead = new HashMap<>();
  private boolean readFailing;
  private long timer = -1;

  private ServerDirectory(Vertx vertx, Map<String, Integer> weights, Supplier<List<String>> ownedHere,
      Predicate<String> ariConnectedHere, boolean clustered) {
    this.vertx = vertx;
    this.ariConnectedHere = ariConnectedHere;
    this.clustered = clustered;
    this.weights = weights;
    this.ownedHere = ownedHere;
  }

  /**
   * Starts reading; completes after the first read (failed or not), so the first call after start is placed.
   *
   * @param weights each configured server's weight, in configuration order
   * @param ariConnectedHere whether a server owned by this node is connected to its Asterisk now
   */
  public static Future<ServerDirectory> start(Vertx vertx, Map<String, Integer> weights,
      Supplier<List<String>> ownedHere, Predicate<String> ariConnectedHere, long refreshMs) {
    ServerDirectory directory = new ServerDirectory(vertx, new LinkedHashMap<>(weights), ownedHere,
        ariConnectedHere, vertx.isClustered());
    vertx.sharedData().<String, ServerDirectory>getLocalMap(MAP).put(KEY, directory);
    directory.timer = vertx.setPeriodic(refreshMs, id -> directory.refresh());
    return directory.refresh().map(directory);
  }

  /** Stops reading (before the persistence verticle goes away on a graceful stop). */
  public void stop() {
    vertx.cancelTimer(timer);
  }

  /** The directory of this Vert.x instance, or null before {@link #start} (then no server can be chosen). */
  public static ServerDirectory of(Vertx vertx) {
    return vertx.sharedData().<String, ServerDirectory>getLocalMap(MAP).get(KEY);
  }

  /** The server for a new call by {@link ServerChooser}'s rule (counted as sent), or empty when none has an owner. */
  public synchronized Optional<String> choose() {
    List<String> owned = ownedHere.get();
    List<ServerChooser.Candidate> candidates = new ArrayList<>();
    weights.forEach((name, weight) -> {
      Known k = known.getOrDefault(name, new Known(false, 0, false));
      candidates.add(new ServerChooser.Candidate(name, weight, k.active() + sentSinceRead.getOrDefault(name, 0),
          clustered && k.ownerConnected() || owned.contains(name)));
    });
    Map<String, Known> read = known;
    Optional<String> chosen = ServerChooser.choosePreferring(candidates, name -> owned.contains(name)
        ? ariConnectedHere.test(name) : clustered && read.containsKey(name) && read.get(name).ariConnected());
    chosen.ifPresent(name -> sentSinceRead.merge(name, 1, Integer::sum));
    return chosen;
  }

  /** Whether the server has a live owner as last read (or is owned here). */
  public synchronized boolean ownerConnected(String server) {
    Known k = known.get(server);
    return clustered && k != null && k.ownerConnected() || ownedHere.get().contains(server);
  }

  private Future<Void> refresh() {
    return vertx.eventBus().<JsonObject>request(SERVERS_LOAD, new JsonObject()).compose(reply -> {
      List<String> owned = ownedHere.get();
      Map<String, JsonObject> rows = new LinkedHashMap<>();
      Map<String, Future<Boolean>> reachable = new HashMap<>();
      reply.body().getJsonArray("items").forEach(item -> {
        JsonObject row = (JsonObject) item;
        String server = row.getString("server");
        rows.put(server, row);
        if (clustered && row.getBoolean("owned", false) && !owned.contains(server)) {
          reachable.put(server, vertx.eventBus().<JsonObject>request(ariStatusOf(server), new JsonObject(), STATUS_ASK)
              // A server being handed over takes no new call while another can.
              .map(status -> status.body().getBoolean("connected", false)
                  && !status.body().getBoolean("handing_over", false)).otherwise(false));
        }
      });
      return Future.join(List.copyOf(reachable.values())).otherwiseEmpty().map(v -> {
        Map<String, Known> read = new HashMap<>();
        rows.forEach((server, row) -> {
          Future<Boolean> ari = reachable.get(server);
          read.put(server, new Known(row.getBoolean("owned", false), row.getInteger("active", 0),
              ari != null && Boolean.TRUE.equals(ari.result())));
        });
        return read;
      });
    }).map(read -> {
      synchronized (this) {
        known = read;
        sentSinceRead.clear();
        readFailing = false;
      }
      return (Void) null;
    }).otherwise(failure -> {
      synchronized (this) {
        if (!readFailing) {
          readFailing = true;
          LOG.warn("Reading the Asterisk servers' load failed ({}); choosing from the last reading",
              failure.getMessage());
        }
      }
      return null;
    });
  }
}
