package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_ACTIVE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Active calls read a page at a time: every one exactly once, in creation order, also when created together")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ActiveCallPagesTest {

  private Vertx vertx;
  private String db;

  @BeforeEach
  void deploy() {
    vertx = Vertx.vertx();
    db = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(db));
    TestDatabase.execute(db, "INSERT INTO users (username, password_hash) VALUES ('alice', 'x')");
    // 1,200 ringing calls created in the same instant (the ties the keyset must break by id), 300 a second apart,
    // 50 ended and 40 on another server (neither may appear).
    insert(1_200, "now() - interval '1 hour'", "ringing", "default", false);
    insert(300, "now() - i * interval '1 second'", "answered", "default", false);
    insert(50, "now() - i * interval '1 second'", "completed", "default", true);
    insert(40, "now()", "ringing", "other", false);
    vertx.deployVerticle(new PersistenceVerticle(DatabaseUrl.parse(db), 2)).await();
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private void insert(int count, String createdAt, String status, String server, boolean ended) {
    TestDatabase.execute(db, "INSERT INTO calls (id, owner, phone_number, status, context, extension, priority,"
        + " timeout_ms, server, created_at, updated_at, ended_at)"
        + " SELECT gen_random_uuid(), 'alice', '+1555' || i, '" + status + "', 'outbound-ivr', 's', 1, 30000, '"
        + server + "', " + createdAt + ", now(), " + (ended ? "now()" : "NULL")
        + " FROM generate_series(1, " + count + ") i");
  }

  private JsonArray page(JsonObject after, int limit) {
    JsonObject query = new JsonObject().put("server", "default").put("limit", limit);
    if (after != null) {
      query.put("after_created_at", after.getString("created_at")).put("after_call_id", after.getString("call_id"));
    }
    return vertx.eventBus().<JsonObject>request(CALLS_ACTIVE, query).await().body().getJsonArray("items");
  }

  @Test
  @DisplayName("pages of 500 return the server's 1,500 active calls once each, ordered, the last page short")
  void pagesCoverEveryActiveCallOnce() {
    List<JsonObject> all = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    JsonObject after = null;
    for (int guard = 0; guard < 10; guard++) {
      JsonArray items = page(after, 500);
      sizes.add(items.size());
      items.forEach(item -> all.add((JsonObject) item));
      if (items.size() < 500) {
        break;
      }
      after = items.getJsonObject(items.size() - 1);
    }
    assertThat(sizes).containsExactly(500, 500, 500, 0);
    Set<String> ids = new HashSet<>();
    all.forEach(call -> ids.add(call.getString("call_id")));
    assertThat(ids).hasSize(1_500);
    assertThat(all).allSatisfy(call -> assertThat(call.getBoolean("is_active")).isTrue());
    for (int i = 1; i < all.size(); i++) {
      Instant previous = Instant.parse(all.get(i - 1).getString("created_at"));
      Instant next = Instant.parse(all.get(i).getString("created_at"));
      assertThat(next).as("row %d created after row %d", i, i - 1).isAfterOrEqualTo(previous);
      if (next.equals(previous)) {
        assertThat(all.get(i).getString("call_id")).isGreaterThan(all.get(i - 1).getString("call_id"));
      }
    }
    // Without a limit the whole set comes in one reply, as before.
    JsonArray whole = vertx.eventBus().<JsonObject>request(CALLS_ACTIVE, new JsonObject().put("server", "default"))
        .await().body().getJsonArray("items");
    assertThat(whole.size()).isEqualTo(1_500);
  }
}
