package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.USERS_CHANGED;
import static dev.contactcenter.bus.EventBusAddresses.USERS_DISABLED_NAMES;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which users are disabled, kept in memory and updated from {@code users.changed} publications, so a disabled
 * user's still-valid tokens stop working at once without a database query per request.
 */
final class UserDirectory {

  private final Set<String> disabled = ConcurrentHashMap.newKeySet();

  Future<Void> start(Vertx vertx) {
    Future<Void> listening = vertx.eventBus().<JsonObject>consumer(USERS_CHANGED, msg -> {
      String username = msg.body().getString("username");
      if (msg.body().getBoolean("disabled", false)) {
        disabled.add(username);
      } else {
        disabled.remove(username);
      }
    }).completion();
    return listening.compose(v -> vertx.eventBus().<JsonObject>request(USERS_DISABLED_NAMES, new JsonObject()))
        .map(reply -> {
          reply.body().getJsonArray("usernames").forEach(name -> disabled.add((String) name));
          return null;
        });
  }

  boolean isDisabled(String username) {
    return disabled.contains(username);
  }

  /** Route handler after JWT verification: refuses tokens of disabled users. */
  void requireActive(RoutingContext rc) {
    String username = Caller.of(rc).username();
    if (username == null) {
      // Signed by us but naming no user (no sub): refuse it rather than fail later on a null owner.
      Problems.send(rc, 401, "the token names no user");
      return;
    }
    if (disabled.contains(username)) {
      Problems.send(rc, 401, "this user is disabled");
      return;
    }
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
