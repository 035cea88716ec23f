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
      // Every column holds a value no other column of its type holds: a field read from the wrong position differs.
      assertThat(call).isEqualTo(expectedCall());
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

  @Test
  @DisplayName("CALL_COLUMNS lists the columns in the order the decoder reads them: a row in that order is read"
      + " position by position")
  void columnsInDecoderOrder() {
    String[] names = Rows.CALL_COLUMNS.split(", ");
    assertThat(names).hasSize(Rows.Column.values().length);
    for (Rows.Column column : Rows.Column.values()) {
      assertThat(names[column.ordinal()]).as(column.name()).isEqualTo(column.sql);
    }
    assertThat(Rows.callColumns("c")).startsWith("c.id, c.owner, c.phone_number, c.status,")
        .endsWith(", c.max_queue_seconds");
  }

  /** The API's view of the row {@link #callLiterals()} selects. */
  private static JsonObject expectedCall() {
    return new JsonObject()
        .put("call_id", "0b5c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b")
        .put("phone_number", "+15551230000")
        .put("status", "ringing")
        .put("channel", "1700000000.42")
        .put("context", "outbound-ivr")
        .put("extension", "s")
        .put("priority", 7)
        .put("timeout", 30000)
        .put("caller_id", "\"Desk\" <100>")
        .put("owner", "alice")
        .put("created_at", "2026-12-01T02:03:04.567891Z")
        .put("dialed_at", "2026-12-01T02:03:05Z")
        .put("ringing_at", "2026-12-01T02:03:06.100Z")
        .put("answered_at", "2026-12-01T02:03:07.200Z")
        .put("ended_at", "2026-12-01T02:03:19.300Z")
        .put("end_time_approximate", false)
        .put("duration", 12)
        .put("failure_reason", "no_route")
        .put("hangup_cause", 16)
        .put("hangup_cause_text", "Normal Clearing")
        .put("attempt_number", 2)
        .put("is_active", true)
        .put("is_completed", false)
        .put("updated_at", "2026-12-01T02:03:19.400Z")
        .put("status_callback", "https://example.com/cb")
        .put("status_callback_events", new io.vertx.core.json.JsonArray().add("completed"))
        .put("server", "default")
        .put("previous_attempt_id", "1b5c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b")
        .put("first_attempt_id", "2b5c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b")
        .put("not_before", "2026-12-01T02:03:01.500Z")
        .put("max_queue_seconds", 45)
        .put("retry", new JsonObject().put("max_attempts", 3)
            .put("on", new io.vertx.core.json.JsonArray().add("busy").add("no_answer")).put("delay_seconds", 60));
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
    v.put("priority", "7");
    v.put("timeout_ms", "30000");
    v.put("caller_id", "'\"Desk\" <100>'");
    v.put("channel_id", "'1700000000.42'");
    v.put("created_at", "'2026-12-01T02:03:04.567891Z'::timestamptz");
    v.put("dialed_at", "'2026-12-01T02:03:05Z'::timestamptz");
    v.put("ringing_at", "'2026-12-01T02:03:06.1Z'::timestamptz");
    v.put("answered_at", "'2026-12-01T02:03:07.2Z'::timestamptz");
    v.put("ended_at", "'2026-12-01T02:03:19.3Z'::timestamptz");
    v.put("duration_seconds", "12");
    v.put("failure_reason", "'no_route'");
    v.put("hangup_cause", "16");
    v.put("hangup_cause_text", "'Normal Clearing'");
    v.put("attempt_number", "2");
    v.put("updated_at", "'2026-12-01T02:03:19.4Z'::timestamptz");
    v.put("end_time_approximate", "false");
    v.put("status_callback", "'https://example.com/cb'");
    v.put("status_callback_events", "ARRAY['completed']::text[]");
    v.put("server", "'default'");
    v.put("previous_attempt_id", "'1b5c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b'::uuid");
    v.put("first_attempt_id", "'2b5c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b'::uuid");
    v.put("not_before", "'2026-12-01T02:03:01.5Z'::timestamptz");
    v.put("retry_max_attempts", "3");
    v.put("retry_on", "ARRAY['busy','no_answer']::text[]");
    v.put("retry_delay_seconds", "60");
    v.put("max_queue_seconds", "45");
    assertThat(String.join(", ", v.keySet())).isEqualTo(Rows.CALL_COLUMNS);
    return v;
  }
}
