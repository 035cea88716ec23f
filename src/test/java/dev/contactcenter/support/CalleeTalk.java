package dev.contactcenter.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The talk of a [lifecycle-callee] call as Asterisk itself timed it: that dialplan logs "talk begins &lt;digits&gt;"
 * right before its Answer() and "talk ends &lt;digits&gt;" right before its Hangup() to the messages file, with
 * milliseconds. A call's recorded duration is checked against this, not against the Wait() its number asks for: when
 * the host stalls (seen in CI: Asterisk took 42 s for a 35 s Wait()), Asterisk's own events move with the stall and
 * the service is right to record them, while a service that recorded a wrong answer or end still fails.
 */
public final class CalleeTalk {

  /** The messages file's dateformat (conf/asterisk/test/logger.conf): {@code %F %T.%3q}. */
  private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
  /** Slack either side: log and event times are taken on different Asterisk threads, under load. */
  private static final long SLACK_MS = 1000;

  private CalleeTalk() {
  }

  /** How long Asterisk's callee talked on the call to {@code digits}, waiting up to {@code within} for its end. */
  public static Duration measured(String digits, Duration within, List<Path> logs) {
    long until = System.nanoTime() + within.toNanos();
    while (true) {
      StringBuilder messages = new StringBuilder();
      for (Path log : logs) {
        messages.append(content(log)).append('\n');
      }
      LocalDateTime begins = loggedAt(messages, "talk begins " + digits);
      LocalDateTime ends = loggedAt(messages, "talk ends " + digits);
      if (begins != null && ends != null) {
        return Duration.between(begins, ends);
      }
      if (System.nanoTime() > until) {
        throw new AssertionError("no talk begins/ends for " + digits + " in " + logs + " (begins " + begins + ")");
      }
      sleep();
    }
  }

  /**
   * The call's recorded answer-to-end is the talk Asterisk timed, within a second, and its duration is that in whole
   * seconds; Asterisk's talk is at least the {@code askedSeconds} its number asks for (else the dialplan is not what
   * the test thinks), plus the 0.5 s Answer() takes on a Local channel (see [bench-callee]).
   */
  public static void assertRecorded(JsonObject call, String number, int askedSeconds, List<Path> logs) {
    String digits = number.startsWith("+") ? number.substring(1) : number;
    Duration talk = measured(digits, Duration.ofSeconds(10), logs);
    String label = call.encode() + "\nAsterisk timed the talk at " + talk.toMillis() + " ms for a Wait(" + askedSeconds
        + ")" + (talk.toMillis() > askedSeconds * 1000L + 500 + SLACK_MS ? " (the host stalled)" : "");
    assertThat(talk.toMillis()).as(label).isGreaterThanOrEqualTo(askedSeconds * 1000L);
    long recorded = Duration.between(Instant.parse(call.getString("answered_at")),
        Instant.parse(call.getString("ended_at"))).toMillis();
    assertThat(recorded).as(label).isBetween(talk.toMillis() - SLACK_MS, talk.toMillis() + SLACK_MS);
    assertThat(call.getInteger("duration")).as(label).isEqualTo((int) (recorded / 1000));
  }

  /**
   * When Asterisk last logged a line ending in {@code text} to the messages file's content, or null if it did not
   * (the last: a test class may dial the same number again on the same Asterisk).
   */
  public static LocalDateTime loggedAt(CharSequence messages, String text) {
    Matcher m = Pattern.compile("(?m)^\\[([^]]+)].*: " + Pattern.quote(text) + "\\s*$").matcher(messages);
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    return last == null ? null : LocalDateTime.parse(last, LOG_TIME);
  }

  private static String content(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
