package dev.contactcenter.persistence;

import dev.contactcenter.calls.CallState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.NoSuchElementException;

/** Row to JSON mappers: the only place that knows both column names and API field names. */
final class Rows {

  /** Columns selected for a call wherever the API shows one. */
  static final String CALL_COLUMNS = "id, owner, phone_number, status, context, extension, priority, timeout_ms,"
      + " caller_id, channel_id, created_at, dialed_at, ringing_at, answered_at, ended_at, duration_seconds,"
      + " failure_reason, hangup_cause, hangup_cause_text, attempt_number, updated_at, end_time_approximate,"
      + " status_callback, status_callback_events, server, previous_attempt_id, first_attempt_id, not_before,"
      + " retry_max_attempts, retry_on, retry_delay_seconds, max_queue_seconds";

  /** {@link #CALL_COLUMNS} one by one: a row selected with them has each at this position. */
  private static final String[] CALL_COLUMN_NAMES = CALL_COLUMNS.split(", *");
  private static final int[] IN_ORDER = new int[CALL_COLUMN_NAMES.length];
  private static final int ID = 0;
  private static final int OWNER = 1;
  private static final int PHONE_NUMBER = 2;
  private static final int STATUS = 3;
  private static final int CONTEXT = 4;
  private static final int EXTENSION = 5;
  private static final int PRIORITY = 6;
  private static final int TIMEOUT_MS = 7;
  private static final int CALLER_ID = 8;
  private static final int CHANNEL_ID = 9;
  private static final int CREATED_AT = 10;
  private static final int DIALED_AT = 11;
  private static final int RINGING_AT = 12;
  private static final int ANSWERED_AT = 13;
  private static final int ENDED_AT = 14;
  private static final int DURATION_SECONDS = 15;
  private static final int FAILURE_REASON = 16;
  private static final int HANGUP_CAUSE = 17;
  private static final int HANGUP_CAUSE_TEXT = 18;
  private static final int ATTEMPT_NUMBER = 19;
  private static final int UPDATED_AT = 20;
  private static final int END_TIME_APPROXIMATE = 21;
  private static final int STATUS_CALLBACK = 22;
  private static final int STATUS_CALLBACK_EVENTS = 23;
  private static final int SERVER = 24;
  private static final int PREVIOUS_ATTEMPT_ID = 25;
  private static final int FIRST_ATTEMPT_ID = 26;
  private static final int NOT_BEFORE = 27;
  private static final int RETRY_MAX_ATTEMPTS = 28;
  private static final int RETRY_ON = 29;
  private static final int RETRY_DELAY_SECONDS = 30;
  private static final int MAX_QUEUE_SECONDS = 31;

  static {
    for (int i = 0; i < IN_ORDER.length; i++) {
      IN_ORDER[i] = i;
    }
  }

  /** The column layouts of call rows met so far (a handful of statements), read by every event loop. */
  private static final int MAX_LAYOUTS = 16;
  private static volatile int[][] layouts = {IN_ORDER};

  /** {@link #CALL_COLUMNS} of the table aliased {@code alias}, for statements that join calls to other rows. */
  static String callColumns(String alias) {
    return alias + "." + CALL_COLUMNS.replace(", ", ", " + alias + ".");
  }

  private static final DateTimeFormatter ISO_UTC = DateTimeFormatter.ISO_INSTANT;

  private Rows() {
  }

  /**
   * The instant in ISO-8601 UTC exactly as {@link DateTimeFormatter#ISO_INSTANT} writes it (fraction in groups of 3
   * digits, none when zero), digit by digit: a call row carries up to seven, and the formatter was a hot spot.
   */
  static String time(OffsetDateTime value) {
    if (value == null) {
      return null;
    }
    LocalDateTime t = ZoneOffset.UTC.equals(value.getOffset()) ? value.toLocalDateTime()
        : value.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
    int year = t.getYear();
    if (year < 1000 || year > 9999) {
      return ISO_UTC.format(value.toInstant());
    }
    int nano = t.getNano();
    int fraction = nano == 0 ? 0 : nano % 1_000_000 == 0 ? 3 : nano % 1_000 == 0 ? 6 : 9;
    char[] out = new char[fraction == 0 ? 20 : 21 + fraction];
    digits(out, 0, 4, year);
    out[4] = '-';
    digits(out, 5, 2, t.getMonthValue());
    out[7] = '-';
    digits(out, 8, 2, t.getDayOfMonth());
    out[10] = 'T';
    digits(out, 11, 2, t.getHour());
    out[13] = ':';
    digits(out, 14, 2, t.getMinute());
    out[16] = ':';
    digits(out, 17, 2, t.getSecond());
    if (fraction > 0) {
      out[19] = '.';
      digits(out, 20, fraction, fraction == 3 ? nano / 1_000_000 : fraction == 6 ? nano / 1_000 : nano);
    }
    out[out.length - 1] = 'Z';
    return new String(out);
  }

  /** Writes {@code value} as exactly {@code count} decimal digits (zero-padded) at {@code at}. */
  private static void digits(char[] out, int at, int count, int value) {
    for (int i = at + count - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /** A call as the API's CallStatus schema shows it. */
  static JsonObject call(Row row) {
    int[] at = positions(row);
    String status = row.getString(at[STATUS]);
    boolean active = CallState.of(status).isActive();
    return new JsonObject()
        .put("call_id", row.getUUID(at[ID]).toString())
        .put("phone_number", row.getString(at[PHONE_NUMBER]))
        .put("status", status)
        .put("channel", row.getString(at[CHANNEL_ID]))
        .put("context", row.getString(at[CONTEXT]))
        .put("extension", row.getString(at[EXTENSION]))
        .put("priority", row.getInteger(at[PRIORITY]))
        .put("timeout", row.getInteger(at[TIMEOUT_MS]))
        .put("caller_id", row.getString(at[CALLER_ID]))
        .put("owner", row.getString(at[OWNER]))
        .put("created_at", time(row.getOffsetDateTime(at[CREATED_AT])))
        .put("dialed_at", time(row.getOffsetDateTime(at[DIALED_AT])))
        .put("ringing_at", time(row.getOffsetDateTime(at[RINGING_AT])))
        .put("answered_at", time(row.getOffsetDateTime(at[ANSWERED_AT])))
        .put("ended_at", time(row.getOffsetDateTime(at[ENDED_AT])))
        .put("end_time_approximate", row.getBoolean(at[END_TIME_APPROXIMATE]))
        .put("duration", row.getInteger(at[DURATION_SECONDS]))
        .put("failure_reason", row.getString(at[FAILURE_REASON]))
        .put("hangup_cause", row.getInteger(at[HANGUP_CAUSE]))
        .put("hangup_cause_text", row.getString(at[HANGUP_CAUSE_TEXT]))
        .put("attempt_number", row.getInteger(at[ATTEMPT_NUMBER]))
        .put("is_active", active)
        .put("is_completed", !active)
        .put("updated_at", time(row.getOffsetDateTime(at[UPDATED_AT])))
        .put("status_callback", row.getString(at[STATUS_CALLBACK]))
        .put("status_callback_events", strings(row.getArrayOfStrings(at[STATUS_CALLBACK_EVENTS])))
        .put("server", row.getString(at[SERVER]))
        .put("previous_attempt_id", uuid(row, at[PREVIOUS_ATTEMPT_ID]))
        .put("first_attempt_id", uuid(row, at[FIRST_ATTEMPT_ID]))
        .put("not_before", time(row.getOffsetDateTime(at[NOT_BEFORE])))
        .put("max_queue_seconds", row.getInteger(at[MAX_QUEUE_SECONDS]))
        .put("retry", new JsonObject().put("max_attempts", row.getInteger(at[RETRY_MAX_ATTEMPTS]))
            .put("on", strings(row.getArrayOfStrings(at[RETRY_ON])))
            .put("delay_seconds", row.getInteger(at[RETRY_DELAY_SECONDS])));
  }

  /**
   * Where each of {@link #CALL_COLUMNS} is in the row. Most call queries select them first and in order; the
   * transition statements return {@code c.*}, the table's order. Each layout met is kept and confirmed for a row by
   * one name comparison per column; reading by name instead searched the row's column names once per column.
   */
  static int[] positions(Row row) {
    int[][] known = layouts;
    for (int[] layout : known) {
      if (matches(row, layout)) {
        return layout;
      }
    }
    int[] at = new int[CALL_COLUMN_NAMES.length];
    for (int i = 0; i < at.length; i++) {
      at[i] = row.getColumnIndex(CALL_COLUMN_NAMES[i]);
      if (at[i] < 0) {
        throw new NoSuchElementException("column " + CALL_COLUMN_NAMES[i] + " is not in the row");
      }
    }
    if (known.length < MAX_LAYOUTS) {
      int[][] more = java.util.Arrays.copyOf(known, known.length + 1);
      more[known.length] = at;
      layouts = more;
    }
    return at;
  }

  private static boolean matches(Row row, int[] layout) {
    int size = row.size();
    for (int i = 0; i < layout.length; i++) {
      if (layout[i] >= size || !CALL_COLUMN_NAMES[i].equals(row.getColumnName(layout[i]))) {
        return false;
      }
    }
    return true;
  }

  private static String uuid(Row row, int column) {
    java.util.UUID value = row.getUUID(column);
    return value == null ? null : value.toString();
  }

  private static JsonArray strings(String[] values) {
    return values == null ? null : new JsonArray(List.of(values));
  }

  static JsonObject user(Row row) {
    return new JsonObject()
        .put("username", row.getString("username"))
        .put("role", row.getString("role"))
        .put("disabled", row.getBoolean("disabled"))
        .put("created_at", time(row.getOffsetDateTime("created_at")));
  }
}
