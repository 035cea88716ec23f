package dev.contactcenter.cluster;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;

/**
 * A node that does nothing but own one server: run in a child JVM by {@link ServerOwnershipTest} and killed with
 * SIGKILL there. Prints {@code OWNER <epoch>} once it owns, {@code STANDBY} while it waits.
 * Arguments: database URL, server, node name.
 */
public final class OwnershipHolder {

  private OwnershipHolder() {
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    ServerOwnership ownership = new ServerOwnership(PgConnectOptions.fromUri(args[0]), args[1], args[2],
        OwnershipTiming.defaults(), new OwnershipListener() {
          @Override
          public void acquired(String server, long epoch) {
            System.out.println("OWNER " + epoch);
          }

          @Override
          public void lost(String server, long epoch, String reason) {
            System.out.println("LOST " + epoch + " " + reason);
          }
        }, () -> false, new NodeLiveness(vertx));
    vertx.deployVerticle(ownership).await();
    if (ownership.role() != ServerOwnership.Role.OWNER) {
      System.out.println("STANDBY");
    }
    Thread.currentThread().join();
  }
}
