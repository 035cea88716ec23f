package dev.contactcenter.support;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(NoBlockedEventLoops.class)}: each test fails if a blocking call held an event loop while it
 * ran (see {@link BlockedThreadRecorder}). For classes that start the service once and run many tests on it.
 */
public final class NoBlockedEventLoops implements BeforeEachCallback, AfterEachCallback {

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoBlockedEventLoops.class);

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NAMESPACE).put("mark", BlockedThreadRecorder.count());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    BlockedThreadRecorder.assertNoneSince(context.getStore(NAMESPACE).get("mark", Integer.class));
  }
}
