package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.USERS_CREATE;
import static dev.contactcenter.bus.EventBusAddresses.USERS_FIND;
import static dev.contactcenter.bus.EventBusAddresses.USERS_SET_PASSWORD;
import static dev.contactcenter.bus.EventBusAddresses.USERS_UPDATE;
import static dev.contactcenter.bus.EventBusAddresses.USERS_LIST;

import dev.contactcenter.auth.PasswordHasher;
import dev.contactcenter.auth.Usernames;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;

/** User management: create, list, disable, change (admins); change one's own password (every user). */
final class UsersHandler {

  private final EventBus bus;
  private final PasswordHasher hasher;

  UsersHandler(EventBus bus, PasswordHasher hasher) {
    this.bus = bus;
    this.hasher = hasher;
  }

  void list(RoutingContext rc) {
    bus.<JsonObject>request(USERS_LIST, new JsonObject())
        .onSuccess(reply -> rc.json(reply.body()))
        .onFailure(rc::fail);
  }

  void create(RoutingContext rc) {
    JsonObject body = validated(rc).getBody().getJsonObject();
    String username = body.getString("username");
    String role = body.getString("role", "user");
    String passwordProblem = Usernames.passwordProblem(body.getString("password"));
    if (passwordProblem != null) {
      Problems.send(rc, 400, "invalid password", Problems.fieldErrors("password", passwordProblem));
      return;
    }
    hasher.hash(body.getString("password"))
        .compose(hash -> bus.<JsonObject>request(USERS_CREATE,
            new JsonObject().put("username", username).put("password_hash", hash).put("role", role)))
        .map(Message::body)
        .onSuccess(user -> rc.response().setStatusCode(201)
            .putHeader("Location", "/api/v2/users/" + username)
            .putHeader("Content-Type", "application/json")
            .end(user.encode()))
        .onFailure(rc::fail);
  }

  void disable(RoutingContext rc) {
    String username = validated(rc).getPathParameters().get("username").getString();
    bus.<JsonObject>request(USERS_UPDATE, new JsonObject().put("username", username).put("disabled", true))
        .onSuccess(reply -> rc.response().setStatusCode(204).end())
        .onFailure(rc::fail);
  }

  /** PATCH: enable/disable, change role, set limits; refuses (409) to leave the service without an active admin. */
  void update(RoutingContext rc) {
    String username = validated(rc).getPathParameters().get("username").getString();
    JsonObject body = validated(rc).getBody().getJsonObject();
    JsonObject change = new JsonObject().put("username", username);
    for (String field : new String[] {"disabled", "role", "limits"}) {
      if (body.containsKey(field)) {
        change.put(field, body.getValue(field));
      }
    }
    bus.<JsonObject>request(USERS_UPDATE, change)
        .onSuccess(reply -> rc.json(reply.body()))
        .onFailure(rc::fail);
  }

  /** PUT /users/me/password: the caller's own password, proven by the current one. */
  void changeOwnPassword(RoutingContext rc) {
    String username = Caller.of(rc).username();
    JsonObject body = validated(rc).getBody().getJsonObject();
    String current = body.getString("current_password");
    String next = body.getString("new_password");
    String problem = Usernames.passwordProblem(next);
    if (problem != null) {
      Problems.send(rc, 400, "invalid new password", Problems.fieldErrors("new_password", problem));
      return;
    }
    bus.<JsonObject>request(USERS_FIND, new JsonObject().put("username", username))
        .compose(reply -> {
          JsonObject user = reply.body().getJsonObject("user");
          return hasher.verify(current, user == null ? null : user.getString("password_hash"));
        })
        .compose(matches -> {
          if (!matches) {
            return io.vertx.core.Future.succeededFuture(false);
          }
          return hasher.hash(next).compose(hash -> bus.<JsonObject>request(USERS_SET_PASSWORD,
              new JsonObject().put("username", username).put("password_hash", hash))).map(done -> true);
        })
        .onSuccess(changed -> {
          if (changed) {
            rc.response().setStatusCode(204).end();
          } else {
            Problems.send(rc, 403, "current_password is not this user's password",
                Problems.fieldErrors("current_password", "does not match"));
          }
        })
        .onFailure(rc::fail);
  }

  static ValidatedRequest validated(RoutingContext rc) {
    return rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
  }
}
