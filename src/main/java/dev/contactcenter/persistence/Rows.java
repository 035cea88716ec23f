package dev.contactcenter.persistence;

import static dev.contactcenter.persistence.Rows.Column.*;

import dev.contactcenter.calls.CallState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Row to JSON mappers: the only place that knows both column names and API field names. */
final class Rows {

  /**
   * The columns selected for a call wherever the API shows one, in the order of {@link #CALL_COLUMNS}: the order is
   * written here only, and each column's position in that list is its ordinal.
   */
  enum Column {
    ID, OWNER, PHONE_NUMBER, STATUS, CONTEXT, EXTENSION, PRIORITY, TIMEOUT_MS, CALLER_ID, CHANNEL_ID, CREATED_AT,
    DIALED_AT, RINGING_AT, ANSWERED_AT, ENDED_AT, DURATION_SECONDS, FAILURE_REASON, HANGUP_CAUSE, HANGUP_CAUSE_TEXT,
    ATTEMPT_NUMBER, UPDATED_AT, END_TIME_APPROXIMATE, STATUS_CALLBACK, STATUS_CALLBACK_EVENTS, SERVER,
    PREVIOUS_ATTEMPT_ID, FIRST_ATTEMPT_ID, NOT_BEFORE, RETRY_MAX_ATTEMPTS, RETRY_ON, RETRY_DELAY_SECONDS,
    MAX_QUEUE_SECONDS;

    final String sql = name().toLowerCase(Locale.ROOT);
  }

  private static final Column[] COLUMNS = Column.values();
  /** Each column's SQL name, by position. */
  private static final String[] CALL_COLUMN_NAMES = Arrays.stream(COLUMNS).map(c -> c.sql).toArray(String[]::new);

  /** Columns selected for a call wherever the API shows one ({@code id, owner, phone_number, ...}). */
  static final String CALL_COLUMNS = String.join(", ", CALL_COLUMN_NAMES);

  /** The layout of a row selected with {@link #CALL_COLUMNS}: each column at its own position. */
  private static final int[] IN_ORDER = IntStream.range(0, COLUMNS.length).toArray();

  /** The column layouts of call rows met so far (a handful of statements), read by every event loop. */
  private static final int MAX_LAYOUTS = 16;
  private static volatile int[][] layouts = {IN_ORDER};

  /** {@link #CALL_COLUMNS} of the table aliased {@code alias}, for statements that join calls to other rows. */
  static String callColumns(String alias) {
    return alias + "." + CALL_COLUMNS.replace(", ", ", " + alias + ".");
  }

  /** The columns of a call a state change may set (a transition statement returns them as they were before it). */
  private static final Column[] CHANGED_BY_TRANSITIONS = {CHANNEL_ID, DIALED_AT, RINGING_AT, ANSWERED_AT, ENDED_AT,
      END_TIME_APPROXIMATE, DURATION_SECONDS, FAILURE_REASON, HANGUP_CAUSE, HANGUP_CAUSE_TEXT};

  /** What a transition statement locks and reads of each call before changing it. */
  static final String BEFORE_COLUMNS = "id, status, " + Arrays.stream(CHANGED_BY_TRANSITIONS).map(c -> c.sql)
      .collect(Collectors.joining(", "));

  /** The {@link #BEFORE_COLUMNS} a state change may set, of the rows aliased {@code alias}, named {@code before_*}. */
  static String beforeColumns(String alias) {
    return Arrays.stream(CHANGED_BY_TRANSITIONS).map(c -> alias + "." + c.sql + " AS before_" + c.sql)
        .collect(Collectors.joining(", "));
  }

  /** The fields a state change may set as they were before it, from {@link #beforeColumns}, with the API's names. */
  static JsonObject before(Row row) {
    return new JsonObject()
        .put("channel", row.getString("before_channel_id"))
        .put("dialed_at", time(row.getOffsetDateTime("before_dialed_at")))
        .put("ringing_at", time(row.getOffsetDateTime("before_ringing_at")))
        .put("answered_at", time(row.getOffsetDateTime("before_answered_at")))
        .put("ended_at", time(row.getOffsetDateTime("before_ended_at")))
        .put("end_time_approximate", row.getBoolean("before_end_time_approximate"))
        .put("duration", row.getInteger("before_duration_seconds"))
        .put("failure_reason", row.getString("before_failure_reason"))
        .put("hangup_cause", row.getInteger("before_hangup_cause"))
        .put("hangup_cause_text", row.getString("before_hangup_cause_text"));
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
    String status = row.getString(at[STATUS.ordinal()]);
    boolean active = CallState.of(status).isActive();
    return new JsonObject()
        .put("call_id", row.getUUID(at[ID.ordinal()]).toString())
        .put("phone_number", row.getString(at[PHONE_NUMBER.ordinal()]))
        .put("status", status)
        .put("channel", row.getString(at[CHANNEL_ID.ordinal()]))
        .put("context", row.getString(at[CONTEXT.ordinal()]))
        .put("extension", row.getString(at[EXTENSION.ordinal()]))
        .put("priority", row.getInteger(at[PRIORITY.ordinal()]))
        .put("timeout", row.getInteger(at[TIMEOUT_MS.ordinal()]))
        .put("caller_id", row.getString(at[CALLER_ID.ordinal()]))
        .put("owner", row.getString(at[OWNER.ordinal()]))
        .put("created_at", time(row.getOffsetDateTime(at[CREATED_AT.ordinal()])))
        .put("dialed_at", time(row.getOffsetDateTime(at[DIALED_AT.ordinal()])))
        .put("ringing_at", time(row.getOffsetDateTime(at[RINGING_AT.ordinal()])))
        .put("answered_at", time(row.getOffsetDateTime(at[ANSWERED_AT.ordinal()])))
        .put("ended_at", time(row.getOffsetDateTime(at[ENDED_AT.ordinal()])))
        .put("end_time_approximate", row.getBoolean(at[END_TIME_APPROXIMATE.ordinal()]))
        .put("duration", row.getInteger(at[DURATION_SECONDS.ordinal()]))
        .put("failure_reason", row.getString(at[FAILURE_REASON.ordinal()]))
        .put("hangup_cause", row.getInteger(at[HANGUP_CAUSE.ordinal()]))
        .put("hangup_cause_text", row.getString(at[HANGUP_CAUSE_TEXT.ordinal()]))
        .put("attempt_number", row.getInteger(at[ATTEMPT_NUMBER.ordinal()]))
        .put("is_active", active)
        .put("is_completed", !active)
        .put("updated_at", time(row.getOffsetDateTime(at[UPDATED_AT.ordinal()])))
        .put("status_callback", row.getString(at[STATUS_CALLBACK.ordinal()]))
        .put("status_callback_events", strings(row.getArrayOfStrings(at[STATUS_CALLBACK_EVENTS.ordinal()])))
        .put("server", row.getString(at[SERVER.ordinal()]))
        .put("previous_attempt_id", uuid(row, at[PREVIOUS_ATTEMPT_ID.ordinal()]))
        .put("first_attempt_id", uuid(row, at[FIRST_ATTEMPT_ID.ordinal()]))
        .put("not_before", time(row.getOffsetDateTime(at[NOT_BEFORE.ordinal()])))
        .put("max_queue_seconds", row.getInteger(at[MAX_QUEUE_SECONDS.ordinal()]))
        .put("retry", new JsonObject().put("max_attempts", row.getInteger(at[RETRY_MAX_ATTEMPTS.ordinal()]))
            .put("on", strings(row.getArrayOfStrings(at[RETRY_ON.ordinal()])))
            .put("delay_seconds", row.getInteger(at[RETRY_DELAY_SECONDS.ordinal()])));
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
      int[][] more = Arrays.copyOf(known, known.length + 1);
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
