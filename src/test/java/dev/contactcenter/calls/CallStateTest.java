package dev.contactcenter.calls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Call states")
class CallStateTest {

  @Test
  @DisplayName("the partial index on active calls in the migrations covers exactly CallState's active states")
  void activeIndexAgreesWithCallState() throws IOException {
    String v1;
    try (InputStream in = getClass().getResourceAsStream("/db/migration/V1__users_calls_events.sql")) {
      v1 = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Matcher index = Pattern.compile("calls_active_idx ON calls \\(status\\) WHERE status IN \\(([^)]*)\\)").matcher(v1);
    assertThat(index.find()).as("the V1 partial index on active calls").isTrue();
    Set<String> indexed = Arrays.stream(index.group(1).split(","))
        .map(s -> s.trim().replace("'", "")).collect(Collectors.toSet());
    // Queued calls are active too, but they are the dispatcher's, in V8's calls_queue_idx.
    Set<String> active = EnumSet.allOf(CallState.class).stream().filter(CallState::isActive)
        .filter(state -> state != CallState.QUEUED).map(CallState::value).collect(Collectors.toSet());
    assertThat(indexed).isEqualTo(active);
    assertThat(CallState.activeSqlList()).isEqualTo("('pending', 'dialing', 'ringing', 'answered')");
  }

  @Test
  @DisplayName("a final state is accepted from any active state; canceled, busy and no_answer only before the answer")
  void terminalStatesFromAnyActiveState() {
    assertThat(CallState.COMPLETED.allowedPredecessors())
        .containsExactlyInAnyOrder(CallState.PENDING, CallState.DIALING, CallState.RINGING, CallState.ANSWERED);
    assertThat(CallState.FAILED.allowedPredecessors()).contains(CallState.ANSWERED, CallState.PENDING);
    assertThat(CallState.BUSY.allowedPredecessors()).doesNotContain(CallState.ANSWERED);
    assertThat(CallState.ANSWERED.allowedPredecessors()).doesNotContain(CallState.ANSWERED);
  }
}
