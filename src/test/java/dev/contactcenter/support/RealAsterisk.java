package dev.contactcenter.support;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Asterisk for a test class, as a static {@code @RegisterExtension} field: started before the class's first
 * test ({@link TestAsterisk#startOrSkip()}: skipped when none is provisioned, a failure in CI), stopped after its
 * last. Each service a test starts gets its own ARI app from {@link #serviceEnv()}, so no two share an event stream.
 */
public final class RealAsterisk implements BeforeAllCallback, AfterAllCallback {

  private static final AtomicInteger APPS = new AtomicInteger();

  private final String appPrefix;
  private TestAsterisk asterisk;

  /** @param appPrefix start of the ARI app names, e.g. {@code cc-it}; the JVM's pid and a counter follow */
  public RealAsterisk(String appPrefix) {
    this.appPrefix = appPrefix;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    asterisk = TestAsterisk.startOrSkip();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (asterisk != null) {
      asterisk.close();
      asterisk = null;
    }
  }

  /** The running Asterisk (to stop and start it mid-test, say). */
  public TestAsterisk asterisk() {
    return asterisk;
  }

  /** A service environment on this Asterisk with an ARI app of its own. */
  public Map<String, String> serviceEnv() {
    return asterisk.serviceEnv(appPrefix + "-" + ProcessHandle.current().pid() + "-" + APPS.incrementAndGet());
  }
}
