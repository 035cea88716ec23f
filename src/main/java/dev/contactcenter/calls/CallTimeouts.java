package dev.contactcenter.calls;

/**
 * Every timeout a call's path depends on, derived from the one ARI request timeout, so that the parts wait for
 * each other in the right order: the ARI verticle always answers the API before the API stops waiting, and a
 * pending call is never settled while its originate request may still be on its way.
 *
 * @param ariRequestMs one ARI REST request (originate, continue, hang-up, channel list)
 */
public record CallTimeouts(int ariRequestMs) {

  /**
   * How long the ARI verticle waits for the call's new state to be stored before it answers the API anyway (the
   * write goes on in the background): a healthy database answers well within it, a down one never holds the API.
   */
  public long storeBeforeReplyMs() {
    return 1_000L;
  }

  /** How long the API waits for the ARI verticle's answer to originate or hang up: one ARI request, the store, slack. */
  public long originateReplyMs() {
    return ariRequestMs + storeBeforeReplyMs() + 1_000L;
  }

  /**
   * A pending call younger than this may still have its originate request in flight (stored by the API, then sent
   * to the ARI verticle); reconciliation leaves it alone.
   */
  public long pendingWindowMs() {
    return originateReplyMs() * 2;
  }

  /**
   * A followed call whose channel is missing from Asterisk's list is settled only if its ChannelDestroyed has not
   * arrived after this long: the list and the event stream are not in lockstep.
   */
  public long settleGraceMs() {
    return Math.max(5_000L, ariRequestMs);
  }

  /** One attempt to store a transition; a failed attempt is retried, so this only bounds a hung request. */
  public long transitionWriteMs() {
    return 10_000L;
  }

  /** First and longest pause between attempts to store a transition while the database is unavailable. */
  public long firstRetryMs() {
    return 100L;
  }

  public long maxRetryMs() {
    return 2_000L;
  }

  /** How long stopping the ARI verticle waits for transitions already observed to be stored. */
  public long drainMs() {
    return 10_000L;
  }
}
