package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.calls.CallState;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What the database outage tests share: placing calls at once, and checking afterwards that every call was stored
 * with its true times ({@link DatabaseOutageTest#storedTruly}), none stuck, each dialled once.
 */
final class OutageChecks {

  private OutageChecks() {
  }

  /**
   * Places {@code count} calls from ten threads, taking the entry nodes in turn, to numbers {@code +1<prefix>NNNNN0};
   * their ids in number order.
   */
  static List<String> placeConcurrently(List<ApiClient> entries, String token, int count, String prefix)
      throws Exception {
    ExecutorService placers = Executors.newFixedThreadPool(10);
    try {
      List<Future<String>> placed = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ApiClient entry = entries.get(i % entries.size());
        JsonObject body = new JsonObject().put("phone_number", String.format("+1%s%05d0", prefix, i));
        placed.add(placers.submit(() -> Calls.place(entry, token, body)));
      }
      List<String> ids = new ArrayList<>();
      for (Future<String> id : placed) {
        ids.add(id.get(30, TimeUnit.SECONDS));
      }
      return ids;
    } finally {
      placers.shutdownNow();
    }
  }

  /**
   * After an outage from {@code down} to {@code up}: no call still active 30 s later, each ended one stored truly with
   * its end between {@code endsAfter} and {@code endsBefore}, each dialled once. Prints one line for the log.
   */
  static void assertStoredTruly(String label, String databaseUrl, ApiClient api, String token, List<String> ids,
      Instant down, Instant up, Instant endsAfter, Instant endsBefore) throws Exception {
    String active = "SELECT count(*) FROM calls WHERE status IN " + CallState.activeSqlList();
    long stuck = TestDatabase.queryLong(databaseUrl, active);
    for (long deadline = System.currentTimeMillis() + 30_000; stuck > 0 && System.currentTimeMillis() < deadline; ) {
      Thread.sleep(200);
      stuck = TestDatabase.queryLong(databaseUrl, active);
    }
    List<String> wrong = new ArrayList<>();
    for (String id : ids) {
      JsonObject call = Calls.get(api, token, id);
      List<String> timeline = Calls.timeline(api, token, id);
      if (!call.getBoolean("is_active")
          && !DatabaseOutageTest.storedTruly(call, timeline, endsAfter, endsBefore)) {
        wrong.add(call.encode() + " " + timeline);
      }
    }
    System.out.printf("%s: %d calls, database down %d ms: %d wrong, %d stuck, talk times %s%n", label, ids.size(),
        Duration.between(down, up).toMillis(), wrong.size(), stuck, DatabaseOutageTest.talkTimes(databaseUrl));
    assertThat(wrong).as("calls stored wrong after the outage").isEmpty();
    assertThat(stuck).as("calls still active 30 s after the outage").isZero();
    assertThat(TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM call_events WHERE to_status = 'dialing'"))
        .as("each call dialled once").isEqualTo(ids.size());
  }
}
