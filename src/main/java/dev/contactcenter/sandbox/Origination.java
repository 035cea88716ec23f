package dev.contactcenter.sandbox;

import java.util.List;

/**
 * A validated {@code POST /channels} request.
 *
 * @param channelId id of the originated channel
 * @param otherChannelId id of the {@code ;2} half of a Local channel
 * @param target the endpoint dialled
 * @param app the Stasis application that gets the channel once it is answered
 * @param args the {@code appArgs}, split at commas as {@code Stasis()} does
 * @param callerId the caller id shown on the channel
 * @param dialTimeoutMs nominal milliseconds the callee may ring, or {@link #NO_TIMEOUT}
 */
record Origination(String channelId, String otherChannelId, DialTarget target, String app,
    List<String> args, CallerId callerId, long dialTimeoutMs) {

  static final long NO_TIMEOUT = -1;

  /** ARI's {@code timeout}: seconds when positive, -1 for none, 30 s for anything else. */
  static long dialTimeoutMs(int timeoutSeconds) {
    if (timeoutSeconds > 0) {
      return timeoutSeconds * 1000L;
    }
    return timeoutSeconds == -1 ? NO_TIMEOUT : 30_000L;
  }
}
