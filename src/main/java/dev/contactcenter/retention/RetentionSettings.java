package dev.contactcenter.retention;

/**
 * How long finished calls are kept ({@code RETAIN_CALLS_DAYS}; 0 keeps them for ever) and how the deletion is paced:
 * at most {@code batchSize} calls per statement, {@code pauseMs} between statements, a new pass every
 * {@code intervalMs}. Small batches keep each lock and each transaction short, so live traffic never waits long.
 */
public record RetentionSettings(int retainCallsDays, int batchSize, long pauseMs, long intervalMs) {

  public static final int DEFAULT_BATCH_SIZE = 500;
  public static final long DEFAULT_PAUSE_MS = 20;
  public static final long DEFAULT_INTERVAL_MS = 3_600_000;

  public static RetentionSettings days(int retainCallsDays) {
    return new RetentionSettings(retainCallsDays, DEFAULT_BATCH_SIZE, DEFAULT_PAUSE_MS, DEFAULT_INTERVAL_MS);
  }

  public boolean enabled() {
    return retainCallsDays > 0;
  }
}
