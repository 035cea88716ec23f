package dev.contactcenter.dispatch;

/**
 * Dispatch configuration: the limits of the server the ARI_* shorthand (or the sandbox) stands for, the retry policy
 * of calls that name none, and how often an owner looks at its queue when nothing woke it.
 */
public record DispatchSettings(DispatchLimits shorthandLimits, RetryPolicy retryDefaults, int pollMs) {

  public static final DispatchSettings DEFAULTS = new DispatchSettings(DispatchLimits.NONE, RetryPolicy.NONE, 1000);
}
