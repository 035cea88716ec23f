package dev.contactcenter.sandbox;

/**
 * What the simulated callee does, chosen by the last digit of the dialled number. The resulting call state is not
 * decided here: the ARI side classifies the events this produces ({@code ari.CallOutcome}), with the Q.850 causes of
 * {@link dev.contactcenter.calls.HangupCauses}, exactly as it does for a real Asterisk.
 *
 * <p>The table is the one of the project's Asterisk test dialplan ({@code [callee]} context), so a
 * test written against the sandbox dials the same numbers against a real Asterisk. Each outcome also
 * names the dialplan application the callee half ({@code ;2}) of a Local channel runs.
 */
public enum CalleeScript {
  /** Digits 0, 7, 8, 9: rings, answers, stays on the line until the IVR hangs up. */
  ANSWERED("Ringing", ""),
  /** Digit 1: busy at once; only the {@code Dial} event says BUSY. */
  BUSY("Busy", "5"),
  /** Digit 2: rings until the originate timeout. */
  NO_ANSWER("Ringing", ""),
  /** Digit 3: congestion at once; only the {@code Dial} event says CONGESTION. */
  CONGESTION("Congestion", "5"),
  /** Digit 4: refused with cause 21 (call rejected). */
  REJECTED("Hangup", "21"),
  /** Digit 5: answers, then hangs up shortly after answer. */
  CALLEE_HANGS_UP("Ringing", ""),
  /** Digit 6, or no digit at all: refused with cause 1 (unallocated number). */
  UNALLOCATED("Hangup", "1");

  private final String calleeApp;
  private final String calleeAppData;

  CalleeScript(String calleeApp, String calleeAppData) {
    this.calleeApp = calleeApp;
    this.calleeAppData = calleeAppData;
  }

  /** The outcome for a dialled number; a number without digits cannot be routed, so it is unallocated. */
  public static CalleeScript forNumber(String digits) {
    if (digits == null || digits.isEmpty()) {
      return UNALLOCATED;
    }
    return switch (digits.charAt(digits.length() - 1)) {
      case '1' -> BUSY;
      case '2' -> NO_ANSWER;
      case '3' -> CONGESTION;
      case '4' -> REJECTED;
      case '5' -> CALLEE_HANGS_UP;
      case '6' -> UNALLOCATED;
      default -> ANSWERED;
    };
  }

  /** Whether the callee picks up (and the channel enters Stasis). */
  public boolean answers() {
    return this == ANSWERED || this == CALLEE_HANGS_UP;
  }

  /** Whether the channel rings before anything else happens. */
  public boolean rings() {
    return answers() || this == NO_ANSWER;
  }

  String calleeApp() {
    return calleeApp;
  }

  String calleeAppData() {
    return calleeAppData;
  }
}
