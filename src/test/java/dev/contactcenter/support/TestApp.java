package dev.contactcenter.support;

import dev.contactcenter.Application;
import dev.contactcenter.config.AppConfig;
import dev.contactcenter.config.ConfigLoader;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Starts the real service in-process on a free loopback port, configured as an operator would through environment
 * variables; by default against a fresh database of {@link TestDatabase} and the built-in ARI sandbox.
 */
public final class TestApp implements AutoCloseable {

  public static final String ADMIN_PASSWORD = "test-admin-password";

  private final Application app;
  private final Map<String, String> env;

  private TestApp(Application app, Map<String, String> env) {
    this.app = app;
    this.env = env;
  }

  /** The environment a test starts from: override or add keys, then {@link #start(Map)}. */
  public static Map<String, String> defaultEnv() {
    Map<String, String> env = new HashMap<>();
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    env.put("HTTP_HOST", "127.0.0.1");
    env.put("HTTP_PORT", "0");
    env.put("HTTP_INSTANCES", "2");
    env.put("DATABASE_URL", TestDatabase.freshDatabaseUrl());
    // An external database and no ARI_HTTP_URL: the sandbox only runs when asked for (withAri drops this).
    env.put("ARI_SANDBOX", "true");
    env.put("SECRET_KEY", HexFormat.of().formatHex(secret));
    env.put("ADMIN_PASSWORD", ADMIN_PASSWORD);
    env.put("BCRYPT_COST", "4");
    env.put("TOKEN_RATE_LIMIT", "1000");
    // Tests place calls faster than a user may by default; the limits have their own test.
    env.put("USER_CALLS_PER_SECOND", "1000");
    env.put("USER_CONCURRENT_CALLS", "100000");
    env.put("USER_CALLS_PER_DAY", "10000000");
    env.put("DATA_DIR", TempDirs.create("cc-test-data").toString());
    return env;
  }

  /** {@code env} pointed at a real (or fake) Asterisk instead of the sandbox. */
  public static Map<String, String> withAri(Map<String, String> env, String url) {
    env.remove("ARI_SANDBOX");
    env.put("ARI_HTTP_URL", url);
    return env;
  }

  public static TestApp start() throws Exception {
    return start(defaultEnv());
  }

  public static TestApp start(Map<String, String> env) throws Exception {
    AppConfig config = ConfigLoader.load(env);
    return new TestApp(Application.start(config), env);
  }

  public Application app() {
    return app;
  }

  public Map<String, String> env() {
    return env;
  }

  public String databaseUrl() {
    return env.get("DATABASE_URL");
  }

  public Path dataDir() {
    return Path.of(env.get("DATA_DIR"));
  }

  public ApiClient client() {
    return new ApiClient("http://127.0.0.1:" + app.httpPort());
  }

  @Override
  public void close() throws Exception {
    app.stop();
  }
}
