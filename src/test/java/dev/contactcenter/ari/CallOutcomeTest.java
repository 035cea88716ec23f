package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.calls.CallState;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The final state of a call from what the ARI verticle saw, one test per outcome measured on Asterisk 22
 * ({@code shared/reference/asterisk22-ari-traces.md}). The inputs are the fields of the trace: whether the
 * channel was answered, whether we asked for the hang-up, the last final {@code Dial dialstatus} (RINGING and
 * ANSWER are progress, never kept), and the originated channel's {@code ChannelDestroyed cause}/{@code cause_txt}.
 */
@DisplayName("The outcome of an ended call")
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CallOutcomeTest {

  private static CallOutcome classify(boolean answered, boolean hangupRequested, String dialStatus, int cause,
      String causeText) {
    return CallOutcome.classify(answered, hangupRequested, dialStatus, cause, causeText);
  }

  @Test
  @DisplayName("answered, then the IVR hangs up (cause 16): completed with cause 16")
  void answeredIsCompleted() {
    CallOutcome outcome = classify(true, false, "", 16, "Normal Clearing");
    assertThat(outcome.state()).isEqualTo(CallState.COMPLETED);
    assertThat(outcome.failureReason()).isNull();
    assertThat(outcome.hangupCause()).isEqualTo(16);
    assertThat(outcome.hangupCauseText()).isEqualTo("Normal Clearing");
  }

  @Test
  @DisplayName("answered, then hung up through ARI: completed, not canceled")
  void answeredThenHungUpIsCompleted() {
    assertThat(classify(true, true, "", 16, "Normal Clearing").state()).isEqualTo(CallState.COMPLETED);
  }

  @Test
  @DisplayName("busy (Dial BUSY, channel destroyed with cause 0 Unknown): busy with cause 17 User busy")
  void busy() {
    CallOutcome outcome = classify(false, false, "BUSY", 0, "Unknown");
    assertThat(outcome.state()).isEqualTo(CallState.BUSY);
    assertThat(outcome.failureReason()).isNull();
    assertThat(outcome.hangupCause()).isEqualTo(17);
    assertThat(outcome.hangupCauseText()).isEqualTo("User busy");
  }

  @Test
  @DisplayName("congestion (Dial CONGESTION, cause 0): failed with cause 34 and a reason")
  void congestion() {
    CallOutcome outcome = classify(false, false, "CONGESTION", 0, "Unknown");
    assertThat(outcome.state()).isEqualTo(CallState.FAILED);
    assertThat(outcome.hangupCause()).isEqualTo(34);
    assertThat(outcome.hangupCauseText()).isEqualTo("Circuit/channel congestion");
    assertThat(outcome.failureReason()).containsIgnoringCase("congestion");
  }

  @Test
  @DisplayName("rejected (Dial NOANSWER, cause 21): failed with cause 21, not no_answer")
  void rejected() {
    CallOutcome outcome = classify(false, false, "NOANSWER", 21, "Call Rejected");
    assertThat(outcome.state()).isEqualTo(CallState.FAILED);
    assertThat(outcome.hangupCause()).isEqualTo(21);
    assertThat(outcome.hangupCauseText()).isEqualTo("Call Rejected");
    assertThat(outcome.failureReason()).contains("Call Rejected").contains("21");
  }

  @Test
  @DisplayName("no answer within the originate timeout (cause 19, no final Dial status): no_answer")
  void noAnswer() {
    CallOutcome outcome = classify(false, false, "", 19, "User alerting, no answer");
    assertThat(outcome.state()).isEqualTo(CallState.NO_ANSWER);
    assertThat(outcome.failureReason()).isNull();
    assertThat(outcome.hangupCause()).isEqualTo(19);
    assertThat(outcome.hangupCauseText()).isEqualTo("User alerting, no answer");
  }

  @Test
  @DisplayName("hung up through ARI while ringing (Dial NOANSWER, cause 16): canceled")
  void hungUpWhileRingingIsCanceled() {
    CallOutcome outcome = classify(false, true, "NOANSWER", 16, "Normal Clearing");
    assertThat(outcome.state()).isEqualTo(CallState.CANCELED);
    assertThat(outcome.failureReason()).isNull();
    assertThat(outcome.hangupCause()).isEqualTo(16);
  }

  @Test
  @DisplayName("a missing dialplan context (cause 0, no Dial status): failed, the reason points at endpoint and context")
  void missingContext() {
    CallOutcome outcome = classify(false, false, "", 0, "Unknown");
    assertThat(outcome.state()).isEqualTo(CallState.FAILED);
    assertThat(outcome.failureReason()).contains("ARI_ENDPOINT_TEMPLATE").contains("context");
  }

  @Test
  @DisplayName("an unallocated number (Dial NOANSWER, cause 1): failed with cause 1")
  void unallocated() {
    CallOutcome outcome = classify(false, false, "NOANSWER", 1, "Unallocated (unassigned) number");
    assertThat(outcome.state()).isEqualTo(CallState.FAILED);
    assertThat(outcome.hangupCause()).isEqualTo(1);
    assertThat(outcome.failureReason()).contains("Unallocated");
  }

  @Test
  @DisplayName("a channel that is unavailable (Dial CHANUNAVAIL): failed")
  void channelUnavailable() {
    CallOutcome outcome = classify(false, false, "CHANUNAVAIL", 0, "Unknown");
    assertThat(outcome.state()).isEqualTo(CallState.FAILED);
    assertThat(outcome.failureReason()).contains("CHANUNAVAIL");
  }
}
