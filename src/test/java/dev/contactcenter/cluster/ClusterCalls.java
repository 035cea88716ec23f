package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.CallProbe;
import dev.contactcenter.support.CalleeTalk;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** What the cluster tests expect of each call they place, and the checks against the API and Asterisk's side. */
final class ClusterCalls {

  private static final Duration FINAL_WAIT = Duration.ofSeconds(60);

  /** The call's number, final status, and talk time in seconds (-1: not checked). */
  record Expected(String number, String status, int talkSeconds) {
  }

  private ClusterCalls() {
  }

  /**
   * Every call ends (none stuck) in its expected status; one with a talk time ends answered→completed, with the talk
   * Asterisk timed (read from {@code asteriskLogs}, the messages files) as its duration.
   */
  static void assertEndRight(CallProbe reader, Map<String, Expected> calls, List<Path> asteriskLogs) {
    for (Map.Entry<String, Expected> call : calls.entrySet()) {
      JsonObject done = reader.awaitFinal(call.getKey(), FINAL_WAIT);
      String label = done.encode();
      Expected expected = call.getValue();
      assertThat(done.getString("status")).as(label).isEqualTo(expected.status());
      if (expected.talkSeconds() >= 0) {
        CalleeTalk.assertRecorded(done, expected.number(), expected.talkSeconds(), asteriskLogs);
        assertThat(reader.timeline(call.getKey())).as(label).endsWith("answered", "completed");
      }
    }
  }

  /** Each number was dialled exactly once, counted on the Asterisks' side (both servers together). */
  static void assertDialledOnce(ClusterHarness cluster, Collection<Expected> calls) throws Exception {
    Map<String, Integer> counts = cluster.dialCounts();
    for (Expected call : calls) {
      assertThat(counts.getOrDefault(call.number().substring(1), 0)).as("times Asterisk dialled " + call.number())
          .isEqualTo(1);
    }
  }
}
