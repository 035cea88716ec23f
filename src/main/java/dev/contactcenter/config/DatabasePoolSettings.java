package dev.contactcenter.config;

/**
 * The PostgreSQL pool of a node: its connections, how long a request may wait for one while all are in use, and how
 * many requests may wait at once. A request that waits too long, or finds the queue full, is told the database is
 * busy (503 with a short Retry-After), never that it is down.
 *
 * @param size connections (DATABASE_POOL_SIZE)
 * @param waitSeconds longest wait for a free connection (DATABASE_POOL_WAIT_SECONDS); longer than a burst takes to
 *     drain on a loaded machine, shorter than the HTTP side's wait for the reply
 * @param maxWaiting requests that may wait for a connection (DATABASE_POOL_MAX_WAITING); beyond it a request is
 *     refused at once as busy rather than queued behind work that cannot finish in time
 * @param lifetimeSeconds how long a connection serves before the pool replaces it. PostgreSQL plans a prepared
 *     statement once per connection and keeps that plan until the table's statistics change: a plan made while
 *     {@code calls} was nearly empty (a new database, the first calls) reads the whole table at every execution once
 *     it has grown, for as long as autovacuum has not analysed it, which a busy database can put off for minutes.
 *     A new connection plans again on the table as it is.
 */
public record DatabasePoolSettings(int size, int waitSeconds, int maxWaiting, int lifetimeSeconds) {

  public static final int DEFAULT_WAIT_SECONDS = 20;
  public static final int DEFAULT_MAX_WAITING = 5_000;
  public static final int DEFAULT_LIFETIME_SECONDS = 60;

  public DatabasePoolSettings {
    if (size < 1 || waitSeconds < 1 || maxWaiting < 1 || lifetimeSeconds < 1) {
      throw new IllegalArgumentException("pool size, wait, queue and lifetime must be positive");
    }
  }

  public DatabasePoolSettings(int size, int waitSeconds, int maxWaiting) {
    this(size, waitSeconds, maxWaiting, DEFAULT_LIFETIME_SECONDS);
  }

  /** The same pool whose connections are replaced after {@code seconds} (tests). */
  public DatabasePoolSettings withLifetime(int seconds) {
    return new DatabasePoolSettings(size, waitSeconds, maxWaiting, seconds);
  }

  /** A pool of {@code size} connections with the default wait and queue (tools and tests). */
  public static DatabasePoolSettings ofSize(int size) {
    return new DatabasePoolSettings(size, DEFAULT_WAIT_SECONDS, DEFAULT_MAX_WAITING);
  }
}
