package dev.contactcenter.config;

/**
 * Something the operator must fix before the service can start (port taken, no PostgreSQL build for this
 * machine): its message is one line that says what and how, printed without a stack trace.
 */
public class StartupProblem extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public StartupProblem(String message) {
    super(message);
  }

  /** The first StartupProblem in a failure's cause chain, if any. */
  public static java.util.Optional<StartupProblem> in(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof StartupProblem problem) {
        return java.util.Optional.of(problem);
      }
    }
    return java.util.Optional.empty();
  }
}
