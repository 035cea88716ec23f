package dev.contactcenter.persistence;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;

/** Users table access. */
final class UserRepository {

  private static final String FIND = "SELECT username, password_hash, role, disabled, created_at FROM users"
      + " WHERE username = $1";
  private static final String INSERT = "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)"
      + " RETURNING username, role, disabled, created_at";
  private static final String INSERT_ADMIN_IF_NONE = "INSERT INTO users (username, password_hash, role)"
      + " SELECT $1, $2, 'admin' WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING username";
  private static final String ANY_USER = "SELECT EXISTS (SELECT 1 FROM users) AS any_user";
  private static final String LIST = "SELECT username, role, disabled, created_at FROM users ORDER BY username";
  private static final String DISABLE = "UPDATE users SET disabled = true WHERE username = $1 RETURNING username";
  private static final String DISABLED_NAMES = "SELECT username FROM users WHERE disabled";

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
      return Optional.of(Rows.user(row).put("password_hash", row.getString("password_hash")));
    });
  }

  Future<JsonObject> insert(String username, String passwordHash, String role) {
    return pool.preparedQuery(INSERT).execute(Tuple.of(username, passwordHash, role))
        .map(rows -> Rows.user(rows.iterator().next()));
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
      rows.forEach(row -> items.add(Rows.user(row)));
      return items;
    });
  }

  Future<Boolean> disable(String username) {
    return pool.preparedQuery(DISABLE).execute(Tuple.of(username)).map(rows -> rows.size() == 1);
  }

  Future<JsonArray> disabledNames() {
    return pool.preparedQuery(DISABLED_NAMES).execute().map(UserRepository::firstColumn);
  }

  private static JsonArray firstColumn(RowSet<Row> rows) {
    JsonArray names = new JsonArray();
    rows.forEach(row -> names.add(row.getString(0)));
    return names;
  }
}
