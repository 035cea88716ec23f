package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.USERS_BOOTSTRAP_ADMIN;
import static dev.contactcenter.bus.EventBusAddresses.USERS_CHANGED;
import static dev.contactcenter.bus.EventBusAddresses.USERS_CREATE;
import static dev.contactcenter.bus.EventBusAddresses.USERS_FIND;
import static dev.contactcenter.bus.EventBusAddresses.USERS_LIST;
import static dev.contactcenter.bus.EventBusAddresses.USERS_SET_PASSWORD;
import static dev.contactcenter.bus.EventBusAddresses.USERS_UPDATE;

import dev.contactcenter.bus.BusError;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.util.List;

/** The {@code db.users.*} side of the persistence verticle; every change is published on {@code users.changed}. */
final class UserRequests {

  private static final String UNIQUE_VIOLATION = "23505";

  private final UserRepository users;
  private final EventBus bus;
  private final DatabaseReplies replies;

  UserRequests(UserRepository users, EventBus bus, DatabaseReplies replies) {
    this.users = users;
    this.bus = bus;
    this.replies = replies;
  }

  List<MessageConsumer<JsonObject>> register() {
    return List.of(
        bus.localConsumer(USERS_FIND, this::find),
        bus.localConsumer(USERS_CREATE, this::create),
        bus.localConsumer(USERS_LIST, msg -> replies.reply(msg, users.list()
            .map(items -> new JsonObject().put("items", items)))),
        bus.localConsumer(USERS_UPDATE, this::update),
        bus.localConsumer(USERS_SET_PASSWORD, this::setPassword),
        bus.localConsumer(USERS_BOOTSTRAP_ADMIN, this::bootstrapAdmin));
  }

  private void find(Message<JsonObject> msg) {
    replies.reply(msg, users.find(msg.body().getString("username"))
        .map(user -> new JsonObject().put("user", user.orElse(null))));
  }

  private void create(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    Future<JsonObject> created = users.insert(body.getString("username"), body.getString("password_hash"),
        body.getString("role", "user"));
    created.onSuccess(user -> bus.publish(USERS_CHANGED, user.copy()));
    replies.reply(msg, created, failure -> isUniqueViolation(failure)
        ? BusError.CONFLICT.exception("username '" + body.getString("username") + "' is taken") : null);
  }

  private void update(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    String username = body.getString("username");
    replies.reply(msg, users.update(username, body.getBoolean("disabled"), body.getString("role"),
            body.getJsonObject("limits"))
        .compose(updated -> {
          if (updated.isEmpty()) {
            return Future.failedFuture(BusError.NOT_FOUND.exception("no user '" + username + "'"));
          }
          bus.publish(USERS_CHANGED, updated.get().copy());
          return Future.succeededFuture(updated.get());
        }), failure -> failure instanceof UserRepository.LastAdminException
            ? BusError.CONFLICT.exception(failure.getMessage()) : null);
  }

  private void setPassword(Message<JsonObject> msg) {
    String username = msg.body().getString("username");
    replies.reply(msg, users.setPassword(username, msg.body().getString("password_hash")).compose(done -> done
        ? Future.succeededFuture(new JsonObject().put("username", username))
        : Future.failedFuture(BusError.NOT_FOUND.exception("no user '" + username + "'"))));
  }

  private void bootstrapAdmin(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    if (body.getBoolean("check_only", false)) {
      replies.reply(msg, users.anyUser().map(any -> new JsonObject().put("needed", !any)));
      return;
    }
    replies.reply(msg, users.insertAdminIfNone(body.getString("username"), body.getString("password_hash"))
        .onSuccess(created -> {
          if (created) {
            bus.publish(USERS_CHANGED, new JsonObject().put("username", body.getString("username"))
                .put("role", "admin").put("disabled", false));
          }
        })
        .map(created -> new JsonObject().put("created", created)));
  }

  private static boolean isUniqueViolation(Throwable failure) {
    return failure instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState());
  }
}
