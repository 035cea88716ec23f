package dev.contactcenter.calls;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The call lifecycle. States only move forward (by rank); the terminal states are final. The database applies
 * a transition only from one of {@link #allowedPredecessors()}, so stale, duplicate or out-of-order events
 * change nothing.
 */
public enum CallState {
  /** Accepted, waiting in its server's queue for capacity or for its retry time; never dialled yet. */
  QUEUED(0, false),
  PENDING(1, false),
  DIALING(2, false),
  RINGING(3, false),
  ANSWERED(4, false),
  COMPLETED(5, true),
  FAILED(5, true),
  BUSY(5, true),
  NO_ANSWER(5, true),
  CANCELED(5, true);

  private final int rank;
  private final boolean terminal;
  private final String value;

  CallState(int rank, boolean terminal) {
    this.rank = rank;
    this.terminal = terminal;
    this.value = name().toLowerCase(Locale.ROOT);
  }

  /** The name used in the API, the database and event-bus messages. */
  public String value() {
    return value;
  }

  public boolean isTerminal() {
    return terminal;
  }

  public static CallState of(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }

  public static boolean isValid(String value) {
    return Arrays.stream(values()).anyMatch(s -> s.value.equals(value));
  }

  /**
   * States this one may be entered from: any earlier, non-terminal state. A terminal state is accepted from any
   * non-terminal one, so a final transition applies even if an intermediate one was never stored; {@code completed}
   * still needs an answer, which the database checks (the answer is stored, or the transition carries its time).
   * {@code canceled}, {@code busy} and {@code no_answer} are only possible before the answer.
   */
  public Set<CallState> allowedPredecessors() {
    Set<CallState> from = EnumSet.noneOf(CallState.class);
    for (CallState candidate : values()) {
      if (!candidate.terminal && candidate.rank < rank) {
        from.add(candidate);
      }
    }
    if (this == CANCELED || this == BUSY || this == NO_ANSWER) {
      from.remove(ANSWERED);
    }
    if (this == COMPLETED || this == BUSY || this == NO_ANSWER) {
      // Outcomes of a dialled call: a queued call leaves the queue only through pending (taken) or
      // canceled/failed (canceled or expired there).
      from.remove(QUEUED);
    }
    return from;
  }

  public String[] allowedPredecessorValues() {
    return allowedPredecessors().stream().map(CallState::value).toArray(String[]::new);
  }

  /** A call in progress: every non-terminal state. The SQL that selects active calls is built from this. */
  public boolean isActive() {
    return !terminal;
  }

  /**
   * The states of a call taken off its queue and not ended — on Asterisk's side, what reconciliation and the server
   * chooser count — as an SQL list literal, e.g. {@code ('pending', 'dialing', …)}: the only source of it. A
   * {@code queued} call is active too, but it is the dispatcher's (its own index, V8's calls_queue_idx).
   */
  public static String activeSqlList() {
    StringBuilder list = new StringBuilder("(");
    for (CallState state : values()) {
      if (state.isActive() && state != QUEUED) {
        list.append(list.length() > 1 ? ", " : "").append('\'').append(state.value).append('\'');
      }
    }
    return list.append(')').toString();
  }
}
