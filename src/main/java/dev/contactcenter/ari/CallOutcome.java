package dev.contactcenter.ari;

import static dev.contactcenter.calls.HangupCauses.CONGESTION;
import static dev.contactcenter.calls.HangupCauses.NO_ANSWER;
import static dev.contactcenter.calls.HangupCauses.NO_USER_RESPONSE;
import static dev.contactcenter.calls.HangupCauses.NORMAL_CLEARING;
import static dev.contactcenter.calls.HangupCauses.UNKNOWN;
import static dev.contactcenter.calls.HangupCauses.USER_BUSY;

import dev.contactcenter.calls.CallState;
import dev.contactcenter.calls.HangupCauses;

/**
 * The final state of a call when its channel is destroyed. Neither the Dial status nor the hang-up cause alone
 * is enough (measured on Asterisk 22, see the traces in the project docs): busy and congestion end the originated
 * channel with cause 0 "Unknown" and show only in {@code Dial dialstatus}; a rejected call says
 * {@code dialstatus=NOANSWER} but cause 21; no answer within the timeout is cause 19 with no final Dial status; a
 * hang-up we requested ends with cause 16 like a normal end, so it is recognised by our own request.
 *
 * @param hangupCause the Q.850 cause reported for the call (derived from the Dial status when the channel says 0)
 */
record CallOutcome(CallState state, String failureReason, Integer hangupCause, String hangupCauseText) {

  static CallOutcome classify(boolean answered, boolean hangupRequested, String dialStatus, int cause, String causeText) {
    String dial = dialStatus == null ? "" : dialStatus;
    if (answered) {
      return new CallOutcome(CallState.COMPLETED, null, cause, causeText);
    }
    if (hangupRequested) {
      return new CallOutcome(CallState.CANCELED, null, cause, causeText);
    }
    if ("BUSY".equals(dial) || cause == USER_BUSY) {
      return withCause(CallState.BUSY, null, cause, USER_BUSY, causeText);
    }
    if (cause == NO_USER_RESPONSE || cause == NO_ANSWER
        || "NOANSWER".equals(dial) && (cause == NORMAL_CLEARING || cause == UNKNOWN)) {
      return withCause(CallState.NO_ANSWER, null, cause, NO_ANSWER, causeText);
    }
    if ("CONGESTION".equals(dial) || cause == CONGESTION) {
      return withCause(CallState.FAILED, "congestion: the network could not route the call"
          + (dial.isEmpty() ? "" : " (Dial status " + dial + ")"), cause, CONGESTION, causeText);
    }
    if ("CHANUNAVAIL".equals(dial)) {
      return new CallOutcome(CallState.FAILED, "channel unavailable (Dial status CHANUNAVAIL)"
          + (cause == 0 ? "" : ": " + causeText), cause, causeText);
    }
    if (cause == UNKNOWN && dial.isEmpty()) {
      return new CallOutcome(CallState.FAILED,
          "the call ended before it was dialled: check ARI_ENDPOINT_TEMPLATE and the dialplan context", cause, causeText);
    }
    return new CallOutcome(CallState.FAILED, "the network refused the call: " + causeText + " (Q.850 cause " + cause + ")"
        + (dial.isEmpty() ? "" : ", Dial status " + dial), cause, causeText);
  }

  /** Asterisk reports cause 0 "Unknown" when only the Dial status tells what happened: name the cause it means. */
  private static CallOutcome withCause(CallState state, String reason, int cause, int impliedCause, String causeText) {
    return cause == UNKNOWN
        ? new CallOutcome(state, reason, impliedCause, HangupCauses.text(impliedCause))
        : new CallOutcome(state, reason, cause, causeText);
  }
}
