package dev.contactcenter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Configuration: conf/config.json defaults, environment overrides, fail-fast validation")
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ConfigLoaderTest {

  private static final String GOOD_SECRET = "9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b2d4f6a8c0e";

  private static AppConfig load(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return ConfigLoader.load(env);
  }

  private static ConfigException refused(String... keyValues) {
    try {
      load(keyValues);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("configuration accepted: " + String.join(" ", keyValues));
  }

  @Test
  @DisplayName("with no environment, the values of conf/config.json are the configuration")
  void defaultsComeFromConfigJson() {
    AppConfig config = load();

    assertThat(config.httpHost()).as("zero-config: this machine only").isEqualTo("127.0.0.1");
    assertThat(config.httpPort()).isEqualTo(8000);
    assertThat(config.maxBodyBytes()).isEqualTo(65536);
    assertThat(config.corsAllowedOrigins()).isEmpty();
    assertThat(config.trustProxyHeaders()).isFalse();
    assertThat(config.databaseUrl()).isEmpty();
    assertThat(config.embeddedDatabase()).isTrue();
    assertThat(config.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(config.secretKey()).isEmpty();
    assertThat(config.jwtIssuer()).isEqualTo("contact-center-api");
    assertThat(config.jwtAudience()).isEqualTo("contact-center-api");
    assertThat(config.accessTokenTtlSeconds()).isEqualTo(3600);
    assertThat(config.adminPassword()).isEmpty();
    assertThat(config.bcryptCost()).isEqualTo(12);
    assertThat(config.tokenRateLimit()).isEqualTo(10);
    assertThat(config.tokenRateWindowSeconds()).isEqualTo(60);
    assertThat(config.sandboxMode()).isTrue();
    assertThat(config.ariApp()).isEqualTo("contact-center");
    assertThat(config.ariEndpointTemplate()).isEqualTo("PJSIP/{number}@trunk");
    assertThat(config.defaultContext()).isEqualTo("outbound-ivr");
    assertThat(config.defaultTimeoutMs()).isEqualTo(30000);
    assertThat(config.defaultCallerId()).isEmpty();
  }

  @Test
  @DisplayName("an environment variable overrides the key of the same name, and only that key")
  void environmentOverridesAKey() {
    AppConfig config = load("HTTP_PORT", "9090", "CORS_ALLOWED_ORIGINS", "https://a.example.com, http://b.example.com:8080",
        "TRUST_PROXY_HEADERS", "true", "ACCESS_TOKEN_TTL", "900");

    assertThat(config.httpPort()).isEqualTo(9090);
    assertThat(config.corsAllowedOrigins()).containsExactly("https://a.example.com", "http://b.example.com:8080");
    assertThat(config.trustProxyHeaders()).isTrue();
    assertThat(config.accessTokenTtlSeconds()).isEqualTo(900);
    assertThat(config.httpHost()).isEqualTo("127.0.0.1");
  }

  @Test
  @DisplayName("HTTP_HOST: loopback without DATABASE_URL, all interfaces with it, and what HTTP_HOST says either way")
  void bindAddressIsSafeByDefault() {
    assertThat(load().httpHost()).isEqualTo("127.0.0.1");
    assertThat(load("HTTP_HOST", "0.0.0.0").httpHost()).isEqualTo("0.0.0.0");
    assertThat(load("DATABASE_URL", "postgresql://app:pw@db:5432/calls", "SECRET_KEY", GOOD_SECRET,
        "ARI_SANDBOX", "true").httpHost()).isEqualTo("0.0.0.0");
    assertThat(load("DATABASE_URL", "postgresql://app:pw@db:5432/calls", "SECRET_KEY", GOOD_SECRET,
        "ARI_SANDBOX", "true", "HTTP_HOST", "127.0.0.1").httpHost()).isEqualTo("127.0.0.1");
    assertThat(load("HTTP_HOST", "  ").httpHost()).as("blank is unset").isEqualTo("127.0.0.1");
  }

  @Test
  @DisplayName("DATABASE_URL with a valid SECRET_KEY gives the external-database mode")
  void externalDatabaseWithSecret() {
    AppConfig config = load("DATABASE_URL", "postgresql://app:s%40cret@db.internal:6543/calls?sslmode=require",
        "SECRET_KEY", GOOD_SECRET, "ARI_SANDBOX", "true");

    assertThat(config.embeddedDatabase()).isFalse();
    assertThat(config.secretKey()).contains(GOOD_SECRET);
    DatabaseUrl url = DatabaseUrl.parse(config.databaseUrl().orElseThrow());
    assertThat(url.host()).isEqualTo("db.internal");
    assertThat(url.port()).isEqualTo(6543);
    assertThat(url.database()).isEqualTo("calls");
    assertThat(url.user()).isEqualTo("app");
    assertThat(url.password()).isEqualTo("s@cret");
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/calls?sslmode=require");
    assertThat(url.redacted()).doesNotContain("cret");
  }

  @Test
  @DisplayName("RETAIN_CALLS_DAYS: off by default, a number of days when set, a negative or huge value refused")
  void retentionDays() {
    assertThat(load().retention().enabled()).isFalse();
    assertThat(load("RETAIN_CALLS_DAYS", "90").retention().retainCallsDays()).isEqualTo(90);
    assertThat(load("RETAIN_CALLS_DAYS", "90").retention().enabled()).isTrue();
    assertThat(refused("RETAIN_CALLS_DAYS", "-1").getMessage()).startsWith("RETAIN_CALLS_DAYS: ");
    assertThat(refused("RETAIN_CALLS_DAYS", "36501").getMessage()).startsWith("RETAIN_CALLS_DAYS: ");
    assertThat(refused("RETAIN_CALLS_DAYS", "90d").getMessage()).contains("not an integer");
  }

  @ParameterizedTest(name = "HTTP_PORT={0}")
  @ValueSource(strings = {"eighty", "80.5", "65536", "-1", "1e3"})
  @DisplayName("a bad HTTP_PORT is refused with a message that starts with the key")
  void badPortRefused(String port) {
    ConfigException e = refused("HTTP_PORT", port);

    assertThat(e.getMessage()).startsWith("HTTP_PORT: ").contains(port);
  }

  @Test
  @DisplayName("event loops: one per two cores (at least one) unless EVENT_LOOPS says; HTTP instances one per loop")
  void eventLoopsAndHttpInstances() {
    int cores = Runtime.getRuntime().availableProcessors();
    AppConfig automatic = load();
    assertThat(automatic.eventLoops()).isZero();
    assertThat(automatic.effectiveEventLoops()).isEqualTo(Math.max(1, cores / 2));
    assertThat(automatic.effectiveHttpInstances()).isEqualTo(automatic.effectiveEventLoops());

    AppConfig chosen = load("EVENT_LOOPS", "3");
    assertThat(chosen.effectiveEventLoops()).isEqualTo(3);
    assertThat(chosen.effectiveHttpInstances()).isEqualTo(3);
    assertThat(load("EVENT_LOOPS", "3", "HTTP_INSTANCES", "5").effectiveHttpInstances()).isEqualTo(5);
  }

  @ParameterizedTest(name = "EVENT_LOOPS={0}")
  @ValueSource(strings = {"-1", "65", "two", "1.5"})
  @DisplayName("an EVENT_LOOPS outside 0-64 is refused naming the key")
  void badEventLoopsRefused(String loops) {
    assertThat(refused("EVENT_LOOPS", loops).getMessage()).startsWith("EVENT_LOOPS: ");
  }

  @ParameterizedTest(name = "{0}={1}")
  @MethodSource("nonIntegers")
  @DisplayName("any integer key given a non-integer is refused naming that key")
  void nonIntegerRefused(String key, String value) {
    assertThat(refused(key, value).getMessage()).startsWith(key + ": ").contains("not an integer");
  }

  static Object[][] nonIntegers() {
    return new Object[][] {
        {"BCRYPT_COST", "twelve"}, {"MAX_BODY_BYTES", "64k"}, {"ACCESS_TOKEN_TTL", "1h"},
        {"TOKEN_RATE_LIMIT", "ten"}, {"DATABASE_POOL_SIZE", "8.0"}, {"DEFAULT_TIMEOUT", "30s"}};
  }

  @Test
  @DisplayName("a SECRET_KEY shorter than 32 bytes is refused")
  void shortSecretRefused() {
    ConfigException e = refused("SECRET_KEY", "0123456789abcdef0123456789abcde");

    assertThat(e.getMessage()).startsWith("SECRET_KEY: ").contains("32 bytes");
  }

  @Test
  @DisplayName("a SECRET_KEY of 32 bytes that is not an example is accepted")
  void thirtyTwoByteSecretAccepted() {
    assertThat(load("SECRET_KEY", "a".repeat(31) + "b").secretKey()).contains("a".repeat(31) + "b");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("exampleSecrets")
  @DisplayName("a SECRET_KEY copied from the documentation is refused")
  void exampleSecretRefused(String example) {
    ConfigException e = refused("SECRET_KEY", example);

    assertThat(e.getMessage()).startsWith("SECRET_KEY: ").contains("example");
  }

  static Object[] exampleSecrets() {
    return ConfigLoader.EXAMPLE_SECRETS.toArray();
  }

  @Test
  @DisplayName("DATABASE_URL without SECRET_KEY is refused: tokens would not survive a restart")
  void databaseUrlNeedsSecret() {
    ConfigException e = refused("DATABASE_URL", "postgresql://app:pw@db:5432/calls");

    assertThat(e.getMessage()).startsWith("SECRET_KEY: ").contains("DATABASE_URL");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mysql://app:pw@db:3306/calls", "postgresql://app:pw@db:5432", "postgresql:///calls",
      "db.internal:5432/calls", "postgresql://app:pw@db:5432/calls with spaces"})
  @DisplayName("a malformed DATABASE_URL is refused naming DATABASE_URL")
  void malformedDatabaseUrlRefused(String url) {
    ConfigException e = refused("DATABASE_URL", url, "SECRET_KEY", GOOD_SECRET);

    assertThat(e.getMessage()).startsWith("DATABASE_URL: ");
  }

  @Test
  @DisplayName("ARI_HTTP_URL without ARI_USERNAME is refused")
  void ariUrlNeedsUsername() {
    ConfigException e = refused("ARI_HTTP_URL", "http://asterisk:8088", "ARI_PASSWORD", "pw");

    assertThat(e.getMessage()).startsWith("ARI_USERNAME: ").contains("ARI_HTTP_URL");
  }

  @Test
  @DisplayName("ARI_HTTP_URL without ARI_PASSWORD is refused")
  void ariUrlNeedsPassword() {
    assertThat(refused("ARI_HTTP_URL", "http://asterisk:8088", "ARI_USERNAME", "api").getMessage())
        .startsWith("ARI_PASSWORD: ");
  }

  @Test
  @DisplayName("ARI_HTTP_URL with credentials leaves sandbox mode, without a trailing slash")
  void ariUrlWithCredentials() {
    AppConfig config = load("ARI_HTTP_URL", "http://asterisk:8088/", "ARI_USERNAME", "api", "ARI_PASSWORD", "pw");

    assertThat(config.sandboxMode()).isFalse();
    assertThat(config.ariHttpUrl()).contains("http://asterisk:8088");
  }

  @Test
  @DisplayName("DATABASE_URL without ARI_HTTP_URL is refused in one line naming both ways out: no silent sandbox")
  void productionWithoutAsteriskIsRefused() {
    String message = refused("DATABASE_URL", "postgresql://app:pw@db:5432/calls", "SECRET_KEY", GOOD_SECRET).getMessage();

    assertThat(message).startsWith("ARI_HTTP_URL: ").contains("DATABASE_URL").contains("set ARI_HTTP_URL")
        .contains("ARI_SANDBOX=true").doesNotContain("\n");
  }

  @Test
  @DisplayName("commands that place no call (migrate, create-user, …) run with DATABASE_URL alone")
  void adminCommandsNeedNoAsteriskChoice() {
    Map<String, String> env = Map.of("DATABASE_URL", "postgresql://app:pw@db:5432/calls", "SECRET_KEY", GOOD_SECRET);

    assertThat(ConfigLoader.loadForAdminCommand(env).databaseUrl()).isPresent();
    assertThat(refused("DATABASE_URL", "postgresql://app:pw@db:5432/calls", "SECRET_KEY", GOOD_SECRET)).isNotNull();
  }

  @Test
  @DisplayName("the sandbox runs in zero-config or when ARI_SANDBOX=true asks for it, never beside ARI_HTTP_URL")
  void sandboxOnlyWhenChosen() {
    assertThat(load().sandboxMode()).isTrue();
    assertThat(load("ARI_SANDBOX", "true").sandboxMode()).isTrue();
    assertThat(load("DATABASE_URL", "postgresql://app:pw@db:5432/calls", "SECRET_KEY", GOOD_SECRET,
        "ARI_SANDBOX", "true").sandboxMode()).isTrue();
    assertThat(refused("ARI_SANDBOX", "false").getMessage()).startsWith("ARI_HTTP_URL: ").contains("ARI_SANDBOX=true");
    assertThat(refused("ARI_SANDBOX", "true", "ARI_HTTP_URL", "http://asterisk:8088", "ARI_USERNAME", "api",
        "ARI_PASSWORD", "pw").getMessage()).startsWith("ARI_SANDBOX: ");
    assertThat(refused("ARI_SANDBOX", "maybe").getMessage()).startsWith("ARI_SANDBOX: ");
    assertThat(load("ARI_SANDBOX", "false", "ARI_HTTP_URL", "http://asterisk:8088", "ARI_USERNAME", "api",
        "ARI_PASSWORD", "pw").sandboxMode()).isFalse();
  }

  @Test
  @DisplayName("ARI_HTTP_URL that is not an http(s) URL is refused")
  void ariUrlMustBeHttp() {
    assertThat(refused("ARI_HTTP_URL", "ws://asterisk:8088", "ARI_USERNAME", "api", "ARI_PASSWORD", "pw").getMessage())
        .startsWith("ARI_HTTP_URL: ");
  }

  @Test
  @DisplayName("ARI_ENDPOINT_TEMPLATE without {number} or {digits} is refused")
  void endpointTemplateNeedsPlaceholder() {
    ConfigException e = refused("ARI_ENDPOINT_TEMPLATE", "PJSIP/trunk");

    assertThat(e.getMessage()).startsWith("ARI_ENDPOINT_TEMPLATE: ").contains("{number}");
    assertThat(load("ARI_ENDPOINT_TEMPLATE", "SIP/{digits}@carrier").ariEndpointTemplate())
        .isEqualTo("SIP/{digits}@carrier");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"app.example.com", "https://app.example.com/", "https://app.example.com/path",
      "ftp://app.example.com", "https://app.example.com,null"})
  @DisplayName("a CORS_ALLOWED_ORIGINS entry that is not an origin is refused")
  void badCorsOriginRefused(String origins) {
    assertThat(refused("CORS_ALLOWED_ORIGINS", origins).getMessage()).startsWith("CORS_ALLOWED_ORIGINS: ");
  }

  @Test
  @DisplayName("a short ADMIN_PASSWORD is refused")
  void shortAdminPasswordRefused() {
    assertThat(refused("ADMIN_PASSWORD", "short").getMessage()).startsWith("ADMIN_PASSWORD: ");
    assertThat(refused("ADMIN_PASSWORD", "é".repeat(37)).getMessage()).contains("72 bytes");
    assertThat(refused("TRUSTED_PROXIES", "10.0.0.0/8, proxy.example.com").getMessage()).startsWith("TRUSTED_PROXIES: ");
    assertThat(refused("USER_CALLS_PER_SECOND", "-1").getMessage()).startsWith("USER_CALLS_PER_SECOND: ");
  }

  @Test
  @DisplayName("a configuration error is one line, 'KEY: reason', which is what the jar prints before exiting")
  void messageIsOneLineNamingTheKey() {
    ConfigException e = refused("HTTP_PORT", "abc");

    assertThat(e.getMessage()).isEqualTo("HTTP_PORT: 'abc' is not an integer; expected a TCP port 0-65535");
    assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r");
    assertThat(e.getCause()).isNull();
  }

  @Test
  @DisplayName("a CONFIG_FILE that does not exist is refused naming CONFIG_FILE")
  void missingConfigFileRefused() {
    assertThat(refused("CONFIG_FILE", "/nonexistent/config.json").getMessage()).startsWith("CONFIG_FILE: ");
  }
}
