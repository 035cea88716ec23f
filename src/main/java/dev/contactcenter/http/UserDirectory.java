package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.USERS_CHANGED;
import static dev.contactcenter.bus.EventBusAddresses.USERS_FIND;
import static dev.contactcenter.bus.EventBusAddresses.USERS_LIST;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every account's current role and state, kept in memory and updated from {@code users.changed} publications, so a
 * token is checked against the account as it is now without a database query per request: a disabled user's
 * still-valid tokens stop working at once, a token naming no account is refused, and a demoted admin's token no
 * longer carries admin rights.
 */
final class UserDirectory {

  /** Routing-context key of the caller's current role (true for admin), set by {@link #requireActive}. */
  static final String ADMIN_KEY = "caller.admin";

  /** {@code callsPerSecond}: the user's own limit, null for the configured default. */
  private record Account(boolean admin, boolean disabled, Integer callsPerSecond) {
  }

  /**
   * Changes made outside this process (the CLI's {@code enable-user} or {@code reset-password} beside a running
   * service) publish nothing here, so the directory is also re-read this often.
   */
  static final long REFRESH_MS = 5_000;

  private final Map<String, Account> accounts = new ConcurrentHashMap<>();
  private Vertx vertx;

  Future<Void> start(Vertx vertx) {
    this.vertx = vertx;
    Future<Void> listening = vertx.eventBus().<JsonObject>consumer(USERS_CHANGED, msg -> changed(msg.body()))
        .completion();
    return listening.compose(v -> reload()).onSuccess(v -> vertx.setPeriodic(REFRESH_MS, id -> reload()));
  }

  private Future<Void> reload() {
    return vertx.eventBus().<JsonObject>request(USERS_LIST, new JsonObject()).map(reply -> {
      reply.body().getJsonArray("items").forEach(item -> changed((JsonObject) item));
      return null;
    });
  }

  private void changed(JsonObject user) {
    String username = user.getString("username");
    if (username == null) {
      return;
    }
    Account known = accounts.get(username);
    String role = user.getString("role");
    boolean admin = role != null ? "admin".equals(role) : known != null && known.admin();
    JsonObject limits = user.getJsonObject("limits");
    Integer callsPerSecond = limits != null ? limits.getInteger("calls_per_second")
        : known != null ? known.callsPerSecond() : null;
    accounts.put(username, new Account(admin, user.getBoolean("disabled", false), callsPerSecond));
  }

  /** The user's own calls-per-second limit as last published, or null for the configured default. */
  Integer callsPerSecond(String username) {
    Account account = accounts.get(username);
    return account == null ? null : account.callsPerSecond();
  }

  /** True only for an account known to be disabled (an unknown one is checked with {@link #lookUp}). */
  boolean isDisabled(String username) {
    Account account = accounts.get(username);
    return account != null && account.disabled();
  }

  /** Whether the account exists and is enabled, asking the database when this directory does not know it yet. */
  Future<Boolean> usable(String username) {
    Account account = accounts.get(username);
    if (account != null) {
      return Future.succeededFuture(!account.disabled());
    }
    return vertx.eventBus().<JsonObject>request(USERS_FIND, new JsonObject().put("username", username)).map(reply -> {
      JsonObject user = reply.body().getJsonObject("user");
      if (user == null) {
        return false;
      }
      user.remove("password_hash");
      changed(user);
      return !user.getBoolean("disabled", false);
    });
  }

  boolean exists(String username) {
    return accounts.containsKey(username);
  }

  /** Route handler after JWT verification: refuses tokens of disabled or unknown users. */
  void requireActive(RoutingContext rc) {
    Object subject = rc.user() == null ? null : rc.user().get("sub");
    if (!(subject instanceof String username) || username.isEmpty()) {
      // Signed by us but naming no user (no sub): refuse it rather than fail later on a null owner.
      Problems.send(rc, 401, "the token names no user");
      return;
    }
    Account account = accounts.get(username);
    if (account == null) {
      // Perhaps created a moment ago by the CLI of this host: ask the database before refusing.
      vertx.eventBus().<JsonObject>request(USERS_FIND, new JsonObject().put("username", username))
          .onSuccess(reply -> {
            JsonObject user = reply.body().getJsonObject("user");
            if (user == null) {
              Problems.send(rc, 401, "the token names no user of this service");
              return;
            }
            user.remove("password_hash");
            changed(user);
            admit(rc, accounts.get(username));
          })
          .onFailure(rc::fail);
      return;
    }
    admit(rc, account);
  }

  private static void admit(RoutingContext rc, Account account) {
    if (account.disabled()) {
      Problems.send(rc, 401, "this user is disabled");
      return;
    }
    rc.put(ADMIN_KEY, account.admin());
    rc.next();
  }

  /** Route handler for admin-only operations. */
  static void requireAdmin(RoutingContext rc) {
    if (!Caller.of(rc).admin()) {
      Problems.send(rc, 403, "this operation needs role admin");
      return;
    }
    rc.next();
  }
}
