package dev.contactcenter.ari;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends answered calls on into their IVR, and hands back at once every channel that enters our app from the
 * dialplan. A seed-style IVR answers, then runs {@code Stasis(<app>)}, then plays its prompt: after our hand-off that
 * {@code Stasis()} brings the channel back into the app, and it must continue to the next priority straight away or
 * the callee sits in silence until they hang up.
 */
final class IvrHandoff {

  private static final Logger LOG = LoggerFactory.getLogger(IvrHandoff.class);

  private final AriClient ari;

  IvrHandoff(AriClient ari) {
    this.ari = ari;
  }

  /** Keeps following the answered call after it leaves our app, and sends it to its IVR (once). */
  void sendToIvr(TrackedCall call) {
    if (call.continued) {
      return;
    }
    call.continued = true;
    ari.subscribe(call.callId)
        .compose(v -> ari.continueInDialplan(call.callId, call.context, call.extension, call.priority))
        .onSuccess(v -> call.inIvr = true)
        .onFailure(e -> {
          if (channelGone(e) || call.ended) {
            // The callee hung up before the hand-off: nothing to send on, and its end is recorded from its events.
            LOG.debug("Call {}: ended before its hand-off to {},{},{}: {}", call.callId, call.context, call.extension,
                call.priority, e.getMessage());
          } else {
            LOG.warn("Call {}: could not send the channel to {},{},{}: {}", call.callId, call.context,
                call.extension, call.priority, e.getMessage());
          }
        });
  }

  /**
   * Asterisk's answer for a channel that no longer exists: 404 on the channel, 422 "Event source does not exist" on
   * the subscription.
   */
  private static boolean channelGone(Throwable failure) {
    return failure instanceof AriException ari && (ari.status() == 404 || ari.status() == 422);
  }

  /** A channel the dialplan sent into our app: back to the dialplan, at the priority after its {@code Stasis()}. */
  void handBack(String channelId) {
    ari.continueToNextPriority(channelId)
        .onFailure(e -> LOG.warn("Channel {} entered the app from the dialplan and could not be handed back: {}",
            channelId, e.getMessage()));
  }
}
