package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.USERS_CREATE;
import static dev.contactcenter.bus.EventBusAddresses.USERS_DISABLE;
import static dev.contactcenter.bus.EventBusAddresses.USERS_LIST;

import dev.contactcenter.auth.PasswordHasher;
import dev.contactcenter.auth.Usernames;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;

/** Admin-only user management: create, list, disable. */
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
    bus.<JsonObject>request(USERS_DISABLE, new JsonObject().put("username", username))
        .onSuccess(reply -> rc.response().setStatusCode(204).end())
        .onFailure(rc::fail);
  }

  static ValidatedRequest validated(RoutingContext rc) {
    return rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
  }
}
