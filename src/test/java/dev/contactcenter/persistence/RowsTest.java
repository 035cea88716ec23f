package dev.contactcenter.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Rows decode a call by column position and write times as ISO_INSTANT does")
class RowsTest {

  @Test
  @DisplayName("times are written exactly as ISO_INSTANT writes them: whole seconds, ms, µs and ns fractions, any offset")
  void timesAsIsoInstant() {
    Random random = new Random(15);
    List<OffsetDateTime> values = new ArrayList<>(List.of(
        OffsetDateTime.of(2026, 12, 1, 0, 0, 0, 0, ZoneOffset.UTC),
        OffsetDateTime.of(2026, 1, 9, 3, 4, 5, 7_000_000, ZoneOffset.UTC),
        OffsetDateTime.of(2026, 1, 9, 3, 4, 5, 70_000, ZoneOffset.UTC),
        OffsetDateTime.of(2026, 1, 9, 3, 4, 5, 7, ZoneOffset.UTC),
        OffsetDateTime.of(999, 12, 31, 23, 59, 59, 999_999_000, ZoneOffset.UTC),
        OffsetDateTime.of(10_000, 1, 1, 0, 0, 0, 1_000, ZoneOffset.UTC),
        OffsetDateTime.of(2026, 1, 1, 0, 30, 0, 120_000, ZoneOffset.ofHours(5))));
    for (int i = 0; i < 20_000; i++) {
      long second = random.nextLong(4_102_444_800L);
      int nano = switch (i % 4) {
        case 0 -> 0;
        case 1 -> random.nextInt(1000) * 1_000_000;
        case 2 -> random.nextInt(1_000_000) * 1_000;
        default -> random.nextInt(1_000_000_000);
      };
      values.add(Instant.ofEpochSecond(second, nano).atOffset(ZoneOffset.ofHours(random.nextInt(-12, 13))));
    }
    for (OffsetDateTime value : values) {
      assertThat(Rows.time(value)).as(value.toString()).isEqualTo(DateTimeFormatter.ISO_INSTANT.format(value));
    }
    assertThat(Rows.time(null)).isNull();
  }

  @Test
  @DisplayName("a row with the call columns in order, in another order or with more columns decodes the same; a row"
      + " missing one fails")
  void callByPosition() throws Exception {
    Map<String, String> literals = callLiterals();
    Vertx vertx = Vertx.vertx();
    Pool pool = PgBuilder.pool().connectingTo(TestDatabase.freshDatabaseUrl()).using(vertx).build();
    try {
      List<String> inOrder = new ArrayList<>(literals.keySet());
      List<String> reversed = new ArrayList<>(inOrder);
      Collections.reverse(reversed);
      Row ordered = row(pool, select(literals, inOrder) + ", 'x' AS previous_status");
      Row shuffled = row(pool, select(literals, reversed));
      assertThat(Rows.positions(ordered)).startsWith(0, 1, 2, 3);
      JsonObject call = Rows.call(ordered);
      assertThat(Rows.call(shuffled)).isEqualTo(call);
      // Another layout is worked out once, then reused for the rows that have it.
      int[] reversedLayout = Rows.positions(shuffled);
      assertThat(reversedLayout).startsWith(31, 30, 29);
      assertThat(Rows.positions(row(pool, select(literals, reversed)))).isSameAs(reversedLayout);
      assertThat(Rows.positions(ordered)).isNotSameAs(reversedLayout);
      assertThat(call.getString("call_id")).isEqualTo("0b5c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b");
      assertThat(call.getString("created_at")).isEqualTo("2026-12-01T02:03:04.567891Z");
      assertThat(call.getString("ended_at")).isNull();
      assertThat(call.getBoolean("is_active")).isTrue();
      assertThat(call.getJsonObject("retry").getJsonArray("on").getList()).containsExactly("busy", "no_answer");
      assertThat(call.getJsonArray("status_callback_events").getList()).containsExactly("completed");
      assertThat(call.getInteger("priority")).isEqualTo(1);
      List<String> missing = new ArrayList<>(inOrder);
      missing.remove("server");
      Row incomplete = row(pool, select(literals, missing));
      assertThatThrownBy(() -> Rows.call(incomplete)).isInstanceOf(NoSuchElementException.class)
          .hasMessageContaining("server");
    } finally {
      pool.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static String select(Map<String, String> literals, List<String> columns) {
    List<String> items = new ArrayList<>();
    for (String column : columns) {
      items.add(literals.get(column) + " AS " + column);
    }
    return "SELECT " + String.join(", ", items);
  }

  private static Row row(Pool pool, String sql) throws Exception {
    Future<Row> first = pool.query(sql).execute().map(rows -> rows.iterator().next());
    return first.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** One typed value per call column, in {@link Rows#CALL_COLUMNS} order. */
  private static Map<String, String> callLiterals() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("id", "'0b5c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b'::uuid");
    v.put("owner", "'alice'");
    v.put("phone_number", "'+15551230000'");
    v.put("status", "'ringing'");
    v.put("context", "'outbound-ivr'");
    v.put("extension", "'s'");
    v.put("priority", "1");
    v.put("timeout_ms", "30000");
    v.put("caller_id", "NULL::text");
    v.put("channel_id", "'0b5c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b'");
    v.put("created_at", "'2026-12-01T02:03:04.567891Z'::timestamptz");
    v.put("dialed_at", "'2026-12-01T02:03:05Z'::timestamptz");
    v.put("ringing_at", "'2026-12-01T02:03:06.1Z'::timestamptz");
    v.put("answered_at", "NULL::timestamptz");
    v.put("ended_at", "NULL::timestamptz");
    v.put("duration_seconds", "NULL::int");
    v.put("failure_reason", "NULL::text");
    v.put("hangup_cause", "NULL::int");
    v.put("hangup_cause_text", "NULL::text");
    v.put("attempt_number", "1");
    v.put("updated_at", "'2026-12-01T02:03:06.1Z'::timestamptz");
    v.put("end_time_approximate", "false");
    v.put("status_callback", "'https://example.com/cb'");
    v.put("status_callback_events", "ARRAY['completed']::text[]");
    v.put("server", "'default'");
    v.put("previous_attempt_id", "NULL::uuid");
    v.put("first_attempt_id", "'0b5c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b'::uuid");
    v.put("not_before", "NULL::timestamptz");
    v.put("retry_max_attempts", "3");
    v.put("retry_on", "ARRAY['busy','no_answer']::text[]");
    v.put("retry_delay_seconds", "60");
    v.put("max_queue_seconds", "NULL::int");
    assertThat(String.join(", ", v.keySet())).isEqualTo(Rows.CALL_COLUMNS);
    return v;
  }
}
