package dev.contactcenter.persistence;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;

/** Users table access. */
final class UserRepository {

  private static final String COLUMNS = "username, role, disabled, created_at, max_calls_per_second,"
      + " max_concurrent_calls, max_calls_per_day";
  private static final String FIND = "SELECT password_hash, " + COLUMNS + " FROM users WHERE username = $1";
  /** Locks the active admins, then the target, so two concurrent changes cannot both remove "the other" admin. */
  private static final String LOCK_ACTIVE_ADMINS = "SELECT username FROM users WHERE role = 'admin' AND NOT disabled"
      + " ORDER BY username FOR UPDATE";
  private static final String LOCK_ONE = "SELECT " + COLUMNS + " FROM users WHERE username = $1 FOR UPDATE";
  private static final String UPDATE = "UPDATE users SET disabled = $2, role = $3, max_calls_per_second = $4,"
      + " max_concurrent_calls = $5, max_calls_per_day = $6 WHERE username = $1 RETURNING " + COLUMNS;
  private static final String SET_PASSWORD = "UPDATE users SET password_hash = $2 WHERE username = $1"
      + " RETURNING username";
  static final String[] LIMITS = {"calls_per_second", "concurrent_calls", "calls_per_day"};
  private static final String[] LIMIT_COLUMNS = {"max_calls_per_second", "max_concurrent_calls", "max_calls_per_day"};
  private static final String INSERT = "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)"
      + " RETURNING " + COLUMNS;
  private static final String INSERT_ADMIN_IF_NONE = "INSERT INTO users (username, password_hash, role)"
      + " SELECT $1, $2, 'admin' WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING username";
  private static final String ANY_USER = "SELECT EXISTS (SELECT 1 FROM users) AS any_user";
  private static final String LIST = "SELECT " + COLUMNS + " FROM users ORDER BY username";

  private final Pool pool;

  UserRepository(Pool pool) {
    this.pool = pool;
  }

  /** The user with their password hash (for authentication only), if any. */
  Future<Optional<JsonObject>> find(String username) {
    return pool.preparedQuery(FIND).execute(Tuple.of(username)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(user(row).put("password_hash", row.getString("password_hash")));
    });
  }

  Future<JsonObject> insert(String username, String passwordHash, String role) {
    return pool.preparedQuery(INSERT).execute(Tuple.of(username, passwordHash, role))
        .map(rows -> user(rows.iterator().next()));
  }

  Future<Boolean> anyUser() {
    return pool.preparedQuery(ANY_USER).execute().map(rows -> rows.iterator().next().getBoolean("any_user"));
  }

  /** Inserts the first admin only while the table is empty; true when it did. */
  Future<Boolean> insertAdminIfNone(String username, String passwordHash) {
    return pool.preparedQuery(INSERT_ADMIN_IF_NONE).execute(Tuple.of(username, passwordHash))
        .map(rows -> rows.size() == 1);
  }

  Future<JsonArray> list() {
    return pool.preparedQuery(LIST).execute().map(rows -> {
      JsonArray items = new JsonArray();
      rows.forEach(row -> items.add(user(row)));
      return items;
    });
  }

  /**
   * Changes state, role and limits ({@code null} fields are kept; a limit set to JSON null returns to the default).
   * Empty when there is no such user; fails with {@link LastAdminException} rather than leave no active admin.
   */
  Future<Optional<JsonObject>> update(String username, Boolean disabled, String role, JsonObject limits) {
    return pool.withTransaction(tx -> tx.preparedQuery(LOCK_ACTIVE_ADMINS).execute()
        .compose(admins -> tx.preparedQuery(LOCK_ONE).execute(Tuple.of(username)).compose(found -> {
          if (found.size() == 0) {
            return Future.succeededFuture(Optional.<JsonObject>empty());
          }
          Row current = found.iterator().next();
          boolean nowActiveAdmin = "admin".equals(current.getString("role")) && !current.getBoolean("disabled");
          boolean newDisabled = disabled != null ? disabled : current.getBoolean("disabled");
          String newRole = role != null ? role : current.getString("role");
          boolean staysActiveAdmin = "admin".equals(newRole) && !newDisabled;
          if (nowActiveAdmin && !staysActiveAdmin && admins.size() <= 1) {
            return Future.failedFuture(new LastAdminException(username));
          }
          Object[] values = new Object[LIMITS.length];
          for (int i = 0; i < LIMITS.length; i++) {
            values[i] = limits != null && limits.containsKey(LIMITS[i]) ? limits.getInteger(LIMITS[i])
                : current.getInteger(LIMIT_COLUMNS[i]);
          }
          return tx.preparedQuery(UPDATE)
              .execute(Tuple.of(username, newDisabled, newRole, values[0], values[1], values[2]))
              .map(rows -> Optional.of(user(rows.iterator().next())));
        })));
  }

  Future<Boolean> setPassword(String username, String passwordHash) {
    return pool.preparedQuery(SET_PASSWORD).execute(Tuple.of(username, passwordHash)).map(rows -> rows.size() == 1);
  }

  /** A user as the API shows it, with their limits ({@code null}: the configured default). */
  static JsonObject user(Row row) {
    JsonObject limits = new JsonObject();
    for (int i = 0; i < LIMITS.length; i++) {
      limits.put(LIMITS[i], row.getInteger(LIMIT_COLUMNS[i]));
    }
    return Rows.user(row).put("limits", limits);
  }

  /** Refused: the change would leave the service without an active admin. */
  static final class LastAdminException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LastAdminException(String username) {
      super("'" + username + "' is the last active admin: make another user admin first", null, false, false);
    }
  }

}
