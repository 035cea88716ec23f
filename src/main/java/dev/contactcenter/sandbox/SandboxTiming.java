package dev.contactcenter.sandbox;

/**
 * How long the simulated parties take, in nominal milliseconds, and one factor that scales them all.
 *
 * <p>Nominal values describe a realistic call (the callee answers after a second of ringing, the IVR
 * talks for two seconds). Benchmarks shrink them with {@link #withScale(double)}; a scale of 0 makes
 * every step immediate while each channel still sees its events in the same order.
 *
 * @param ringMs how long an answering callee lets the phone ring
 * @param ivrMs how long the IVR runs after {@code continue} before it hangs up
 * @param holdMs how long the IVR runs instead when it is sent to the extension {@code hold}
 * @param calleeHangupMs after answer, when the callee of a number ending in 5 hangs up
 * @param calleeStayMs after answer, when any other answering callee hangs up
 * @param scale factor applied to every duration, including the originate {@code timeout}
 */
public record SandboxTiming(
    long ringMs, long ivrMs, long holdMs, long calleeHangupMs, long calleeStayMs, double scale) {

  /** Validates that no duration is negative and the scale is a finite number of at least 0. */
  public SandboxTiming {
    if (ringMs < 0 || ivrMs < 0 || holdMs < 0 || calleeHangupMs < 0 || calleeStayMs < 0) {
      throw new IllegalArgumentException("sandbox durations must not be negative");
    }
    if (!(scale >= 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("sandbox scale must be a finite number >= 0, got " + scale);
    }
  }

  /** Ring 1 s, IVR 2 s, hold 120 s, early callee hang-up 1 s, callee stays 30 s, unscaled. */
  public static SandboxTiming defaults() {
    return new SandboxTiming(1_000, 2_000, 120_000, 1_000, 30_000, 1.0);
  }

  /** The same nominal durations with another scale, e.g. {@code 0.01} for a call 100 times faster. */
  public SandboxTiming withScale(double newScale) {
    return new SandboxTiming(ringMs, ivrMs, holdMs, calleeHangupMs, calleeStayMs, newScale);
  }

  /** A nominal duration after scaling, rounded to whole milliseconds. */
  public long scaled(long nominalMs) {
    return Math.round(nominalMs * scale);
  }
}
