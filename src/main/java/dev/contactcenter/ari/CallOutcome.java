package dev.contactcenter.ari;

import dev.contactcenter.calls.CallState;

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
    if ("BUSY".equals(dial) || cause == 17) {
      return new CallOutcome(CallState.BUSY, null, cause == 0 ? 17 : cause, cause == 0 ? "User busy" : causeText);
    }
    if (cause == 18 || cause == 19 || "NOANSWER".equals(dial) && (cause == 16 || cause == 0)) {
      return new CallOutcome(CallState.NO_ANSWER, null, cause == 0 ? 19 : cause,
          cause == 0 ? "User alerting, no answer" : causeText);
    }
    if ("CONGESTION".equals(dial) || cause == 34) {
      return new CallOutcome(CallState.FAILED, "congestion: the network could not route the call"
          + (dial.isEmpty() ? "" : " (Dial status " + dial + ")"), cause == 0 ? 34 : cause,
          cause == 0 ? "Circuit/channel congestion" : causeText);
    }
    if ("CHANUNAVAIL".equals(dial)) {
      return new CallOutcome(CallState.FAILED, "channel unavailable (Dial status CHANUNAVAIL)"
          + (cause == 0 ? "" : ": " + causeText), cause, causeText);
    }
    if (cause == 0 && dial.isEmpty()) {
      return new CallOutcome(CallState.FAILED,
          "the call ended before it was dialled: check ARI_ENDPOINT_TEMPLATE and the dialplan context", cause, causeText);
    }
    return new CallOutcome(CallState.FAILED, "the network refused the call: " + causeText + " (Q.850 cause " + cause + ")"
        + (dial.isEmpty() ? "" : ", Dial status " + dial), cause, causeText);
  }
}
