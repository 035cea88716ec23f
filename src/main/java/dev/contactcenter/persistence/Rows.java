package dev.contactcenter.persistence;

import dev.contactcenter.calls.CallState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** Row to JSON mappers: the only place that knows both column names and API field names. */
final class Rows {

  /** Columns selected for a call wherever the API shows one. */
  static final String CALL_COLUMNS = "id, owner, phone_number, status, context, extension, priority, timeout_ms,"
      + " caller_id, channel_id, created_at, dialed_at, ringing_at, answered_at, ended_at, duration_seconds,"
      + " failure_reason, hangup_cause, hangup_cause_text, attempt_number, updated_at, end_time_approximate,"
      + " status_callback, status_callback_events, server, previous_attempt_id, first_attempt_id, not_before,"
      + " retry_max_attempts, retry_on, retry_delay_seconds, max_queue_seconds";

  /** {@link #CALL_COLUMNS} of the table aliased {@code alias}, for statements that join calls to other rows. */
  static String callColumns(String alias) {
    return alias + "." + CALL_COLUMNS.replace(", ", ", " + alias + ".");
  }

  private static final DateTimeFormatter ISO_UTC = DateTimeFormatter.ISO_INSTANT;

  private Rows() {
  }

  static String time(OffsetDateTime value) {
    return value == null ? null : ISO_UTC.format(value.withOffsetSameInstant(ZoneOffset.UTC).toInstant());
  }

  /** A call as the API's CallStatus schema shows it. */
  static JsonObject call(Row row) {
    String status = row.getString("status");
    boolean active = CallState.of(status).isActive();
    return new JsonObject()
        .put("call_id", row.getUUID("id").toString())
        .put("phone_number", row.getString("phone_number"))
        .put("status", status)
        .put("channel", row.getString("channel_id"))
        .put("context", row.getString("context"))
        .put("extension", row.getString("extension"))
        .put("priority", row.getInteger("priority"))
        .put("timeout", row.getInteger("timeout_ms"))
        .put("caller_id", row.getString("caller_id"))
        .put("owner", row.getString("owner"))
        .put("created_at", time(row.getOffsetDateTime("created_at")))
        .put("dialed_at", time(row.getOffsetDateTime("dialed_at")))
        .put("ringing_at", time(row.getOffsetDateTime("ringing_at")))
        .put("answered_at", time(row.getOffsetDateTime("answered_at")))
        .put("ended_at", time(row.getOffsetDateTime("ended_at")))
        .put("end_time_approximate", row.getBoolean("end_time_approximate"))
        .put("duration", row.getInteger("duration_seconds"))
        .put("failure_reason", row.getString("failure_reason"))
        .put("hangup_cause", row.getInteger("hangup_cause"))
        .put("hangup_cause_text", row.getString("hangup_cause_text"))
        .put("attempt_number", row.getInteger("attempt_number"))
        .put("is_active", active)
        .put("is_completed", !active)
        .put("updated_at", time(row.getOffsetDateTime("updated_at")))
        .put("status_callback", row.getString("status_callback"))
        .put("status_callback_events", strings(row.getArrayOfStrings("status_callback_events")))
        .put("server", row.getString("server"))
        .put("previous_attempt_id", uuid(row, "previous_attempt_id"))
        .put("first_attempt_id", uuid(row, "first_attempt_id"))
        .put("not_before", time(row.getOffsetDateTime("not_before")))
        .put("max_queue_seconds", row.getInteger("max_queue_seconds"))
        .put("retry", new JsonObject().put("max_attempts", row.getInteger("retry_max_attempts"))
            .put("on", strings(row.getArrayOfStrings("retry_on")))
            .put("delay_seconds", row.getInteger("retry_delay_seconds")));
  }

  private static String uuid(Row row, String column) {
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
