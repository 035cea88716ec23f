package dev.contactcenter.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * bcrypt hashing and verification on a small dedicated worker pool: never on an event loop, and bounded to one
 * thread fewer than the cores so a burst of logins cannot starve the rest of the service of CPU.
 */
public final class PasswordHasher implements AutoCloseable {

  private final int cost;
  private final WorkerExecutor executor;
  /**
   * Verified against when the user does not exist, so unknown users cost the same time as wrong passwords. Hashed
   * on the bcrypt pool in the background: at cost 12 that takes about 0.3 s of CPU, which start-up no longer waits for.
   */
  private final Future<String> decoyHash;

  public PasswordHasher(Vertx vertx, int cost) {
    this.cost = cost;
    // One core is always left to the event loops and PostgreSQL: with every core hashing, a burst of logins made
    // /health 2-4 times slower on 2 cores (HealthUnderLoadTest).
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    this.executor = vertx.createSharedWorkerExecutor("bcrypt", threads);
    this.decoyHash = executor.executeBlocking(() -> hashNow("decoy-password-that-never-matches"), false);
  }

  public Future<String> hash(String password) {
    return executor.executeBlocking(() -> hashNow(password), false);
  }

  /** True when the password matches; with a null hash it spends the same time and answers false. */
  public Future<Boolean> verify(String password, String hashOrNull) {
    // No stored password is over bcrypt's 72 bytes (they are refused when set), so a longer one cannot match; it is
    // still checked, cut to 72 bytes, against the decoy so it takes the same time as any other wrong password.
    byte[] bytes = password.getBytes(StandardCharsets.UTF_8);
    boolean tooLong = bytes.length > Usernames.MAX_PASSWORD_BYTES;
    Future<String> hash = hashOrNull == null || tooLong ? decoyHash : Future.succeededFuture(hashOrNull);
    byte[] checked = tooLong ? Arrays.copyOf(bytes, Usernames.MAX_PASSWORD_BYTES) : bytes;
    return hash.compose(known -> executor.executeBlocking(() -> {
      boolean matches;
      try {
        matches = BCrypt.verifyer().verify(checked, known.getBytes(StandardCharsets.UTF_8)).verified;
      } catch (IllegalArgumentException malformedHash) {
        matches = false;
      }
      return matches && hashOrNull != null && !tooLong;
    }, false));
  }

  /** Blocking: for the CLI and start-up code that is not on an event loop. */
  public String hashNow(String password) {
    return BCrypt.withDefaults().hashToString(cost, password.toCharArray());
  }

  @Override
  public void close() {
    executor.close();
  }
}
