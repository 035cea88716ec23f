package dev.contactcenter.persistence;

import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;

/**
 * Tells a busy pool from an unreachable database. The pool fails a request that waited its whole acquisition time
 * with "Timeout waiting for connection" (a bare "Timeout" from the pool's own timer), and one that found the wait queue full with {@link ConnectionPoolTooBusyException}; neither
 * says anything about the database being down, so neither may be reported as "database unavailable".
 */
final class PoolBusy {

  private PoolBusy() {
  }

  static boolean is(Throwable failure) {
    if (failure instanceof ConnectionPoolTooBusyException) {
      return true;
    }
    if (failure == null || failure instanceof PgException || failure.getMessage() == null) {
      return false;
    }
    String message = failure.getMessage();
    return message.equals("Timeout") || message.startsWith("Timeout waiting for connection");
  }
}
