package dev.contactcenter.ari;

import io.vertx.core.Future;

/** Whether the owner of a server takes a new call now, as {@link CallOriginator} asks it for each originate. */
interface CallIntake {

  /** The events stream is open and ours: a call placed now is followed. */
  boolean connected();

  /** Why the stream is not open, for the refusal. */
  String notConnectedReason();

  /**
   * Completes when the stream's first connect attempt has ended (bounded by its connect timeout). A new owner's
   * stream opens a moment after it took the server over: calls arriving meanwhile wait for that, not a refusal.
   */
  Future<Void> firstAttempt();

  /** The server is being handed to another node: new calls are for the next owner (nothing is done with them). */
  boolean leaving();
}
