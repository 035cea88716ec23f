package dev.contactcenter.cluster;

import io.vertx.core.Future;

/**
 * When a standby may try a free server's lock: the two rules that leave it to another node for a while, the former
 * owner's turn after the database was out of reach ({@link FormerOwnerFirst}) and the balance's yield rule
 * ({@link TakeDeferral}), which that former owner itself skips. One per {@link ServerOwnership}, on its event loop,
 * told what its attempts found.
 */
final class TakeRules {

  private final TakeDeferral deferral;
  private final FormerOwnerFirst formerOwnerFirst;

  TakeRules(TakeDeferral deferral, FormerOwnerFirst formerOwnerFirst) {
    this.deferral = deferral;
    this.formerOwnerFirst = formerOwnerFirst;
  }

  /** Whether to try the lock now, the database having answered on {@code session}. */
  Future<Boolean> mayTry(OwnershipSession session) {
    return formerOwnerFirst.mayTry(session).compose(free -> !free ? Future.succeededFuture(false)
        : formerOwnerFirst.reclaiming() ? Future.succeededFuture(true) : deferral.mayTry(session));
  }

  /** The database said who owns the server: this node (it just took it) or another. */
  void answered() {
    deferral.held();
    formerOwnerFirst.settled();
  }

  /** An attempt could not reach the database. */
  void unreachable() {
    formerOwnerFirst.unreachable();
  }

  /** This node stopped owning the server; {@code databaseLost}: because the database went away. */
  void lost(boolean databaseLost) {
    formerOwnerFirst.lost(databaseLost);
  }

  /** This node handed the server over: it does not take it straight back. */
  void handedOver() {
    deferral.startNow();
  }

  /** Node {@code node} said it gave the server up. */
  void releasedBy(String node) {
    formerOwnerFirst.releasedBy(node);
  }
}
