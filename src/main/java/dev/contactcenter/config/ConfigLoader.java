package dev.contactcenter.config;

import dev.contactcenter.cluster.AsteriskServers;
import dev.contactcenter.retention.RetentionSettings;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code conf/config.json} (or the file named by {@code CONFIG_FILE}, or the copy packaged in the jar),
 * lets an environment variable of the same name override each key, and validates the result into an
 * {@link AppConfig}. Any bad value fails with a {@link ConfigException} naming the key. The cluster, webhook, edge
 * and dispatch sections each have their own reader ({@link ClusterConfig}, {@link WebhookConfig}, {@link EdgeConfig},
 * {@link DispatchConfig}).
 */
public final class ConfigLoader {

  /** Example secrets printed in our docs; refusing them stops copy-paste deployments with a public key. */
  static final Set<String> EXAMPLE_SECRETS = Set.of(
      "change-me-to-a-long-random-secret-of-at-least-32-bytes",
      "replace-with-the-output-of-openssl-rand-hex-32",
      "0123456789abcdef0123456789abcdef",
      "your-secret-key-here-at-least-32-bytes-long");

  private static final Pattern DIALPLAN_NAME = Pattern.compile("[A-Za-z0-9_-]{1,79}");
  private static final Pattern DIALPLAN_EXTENSION = Pattern.compile("[A-Za-z0-9_*#+-]{1,79}");
  private static final Pattern ARI_APP = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private ConfigLoader() {
  }

  public static AppConfig load() {
    return load(System.getenv());
  }

  /**
   * For the commands that place no call (migrate, create-user, reset-password, enable-user): whether calls would be
   * simulated is no question for them, so an operator can run them with DATABASE_URL alone.
   */
  public static AppConfig loadForAdminCommand(Map<String, String> env) {
    if (env.containsKey("ARI_HTTP_URL") || env.containsKey("ARI_SANDBOX")) {
      return load(env);
    }
    Map<String, String> placesNoCall = new java.util.HashMap<>(env);
    placesNoCall.put("ARI_SANDBOX", "true");
    return load(placesNoCall);
  }

  public static AppConfig load(Map<String, String> env) {
    JsonObject merged = defaults(env);
    for (String key : merged.fieldNames()) {
      String value = env.get(key);
      if (value != null) {
        merged.put(key, value);
      }
    }
    return validate(new ConfigValues(merged));
  }

  private static JsonObject defaults(Map<String, String> env) {
    String file = env.get("CONFIG_FILE");
    try {
      if (file != null && !file.isBlank()) {
        return parse(Files.readString(Path.of(file)), "CONFIG_FILE");
      }
      Path local = Path.of("conf", "config.json");
      if (Files.isRegularFile(local)) {
        return parse(Files.readString(local), "conf/config.json");
      }
      try (InputStream in = ConfigLoader.class.getResourceAsStream("/conf/config.json")) {
        if (in == null) {
          throw new ConfigException("CONFIG_FILE", "no conf/config.json in the working directory or the jar");
        }
        return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "conf/config.json");
      }
    } catch (IOException e) {
      throw new ConfigException("CONFIG_FILE", "cannot read configuration file: " + e.getMessage());
    }
  }

  private static JsonObject parse(String text, String key) {
    try {
      return new JsonObject(text);
    } catch (DecodeException e) {
      throw new ConfigException(key, "not valid JSON: " + e.getMessage());
    }
  }

  private static AppConfig validate(ConfigValues v) {
    Optional<String> databaseUrl = v.optional("DATABASE_URL");
    databaseUrl.ifPresent(url -> DatabaseUrl.parse(url));
    Optional<String> secret = v.optional("SECRET_KEY");
    secret.ifPresent(ConfigLoader::checkSecret);
    if (databaseUrl.isPresent() && secret.isEmpty()) {
      throw new ConfigException("SECRET_KEY", "required when DATABASE_URL is set (generate one with: openssl rand -hex 32)");
    }
    Optional<String> ariUrl = v.optional("ARI_HTTP_URL");
    ariUrl.ifPresent(ConfigLoader::checkHttpUrl);
    String ariUser = v.string("ARI_USERNAME");
    String ariPassword = v.string("ARI_PASSWORD");
    if (ariUrl.isPresent() && (ariUser.isEmpty() || ariPassword.isEmpty())) {
      throw new ConfigException(ariUser.isEmpty() ? "ARI_USERNAME" : "ARI_PASSWORD", "required when ARI_HTTP_URL is set");
    }
    // A server list is real Asterisks too (AsteriskServers checks it and refuses it beside ARI_HTTP_URL).
    checkSandboxChoice(v, databaseUrl.isPresent(), ariUrl.isPresent() || !v.string("ASTERISK_SERVERS").isEmpty()
        || !v.string("ASTERISK_SERVERS_FILE").isEmpty());
    String template = v.string("ARI_ENDPOINT_TEMPLATE");
    if (!template.contains("{number}") && !template.contains("{digits}")) {
      throw new ConfigException("ARI_ENDPOINT_TEMPLATE", "must contain {number} or {digits}, e.g. PJSIP/{number}@trunk");
    }
    Optional<String> callerId = v.optional("DEFAULT_CALLER_ID");
    callerId.ifPresent(id -> {
      if (id.length() > 80 || id.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new ConfigException("DEFAULT_CALLER_ID", "at most 80 printable characters");
      }
    });
    List<String> origins = v.list("CORS_ALLOWED_ORIGINS");
    origins.forEach(origin -> {
      if (!origin.equals("*") && !origin.matches("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
        throw new ConfigException("CORS_ALLOWED_ORIGINS", "'" + origin + "' is not an origin like https://app.example.com");
      }
    });

    return new AppConfig(
        v.optional("HTTP_HOST").orElse(defaultHost(databaseUrl)),
        v.integer("HTTP_PORT", p -> p >= 0 && p <= 65535, "a TCP port 0-65535"),
        v.integer("HTTP_INSTANCES", n -> n >= 0 && n <= 64, "0 (one per event loop) to 64"),
        v.integer("EVENT_LOOPS", n -> n >= 0 && n <= 64, "0 (one per two cores) to 64"),
        v.integer("MAX_BODY_BYTES", n -> n >= 1024 && n <= 10_485_760, "between 1024 and 10485760"),
        origins,
        v.bool("TRUST_PROXY_HEADERS"),
        databaseUrl,
        v.integer("DATABASE_POOL_SIZE", n -> n >= 1 && n <= 200, "between 1 and 200"),
        Path.of(v.nonEmpty("DATA_DIR")),
        secret,
        v.nonEmpty("JWT_ISSUER"),
        v.nonEmpty("JWT_AUDIENCE"),
        v.integer("ACCESS_TOKEN_TTL", n -> n >= 60 && n <= 86_400 * 30, "seconds between 60 and 2592000"),
        v.optional("ADMIN_PASSWORD").map(p -> {
          if (p.length() < 12) {
            throw new ConfigException("ADMIN_PASSWORD", "at least 12 characters");
          }
          if (p.getBytes(StandardCharsets.UTF_8).length > dev.contactcenter.auth.Usernames.MAX_PASSWORD_BYTES) {
            throw new ConfigException("ADMIN_PASSWORD", "at most 72 bytes in UTF-8 (bcrypt's limit)");
          }
          return p;
        }),
        v.integer("BCRYPT_COST", n -> n >= 4 && n <= 16, "between 4 and 16 (12 or more in production)"),
        v.integer("TOKEN_RATE_LIMIT", n -> n >= 1 && n <= 100_000, "between 1 and 100000"),
        v.integer("TOKEN_RATE_WINDOW_SECONDS", n -> n >= 1 && n <= 3600, "between 1 and 3600"),
        ariUrl.map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u),
        ariUser,
        ariPassword,
        v.matching("ARI_APP", ARI_APP, "letters, digits, '_', '.', '-' (1-64)"),
        template,
        v.integer("ARI_REQUEST_TIMEOUT", n -> n >= 100 && n <= 60_000, "milliseconds between 100 and 60000"),
        v.matching("DEFAULT_CONTEXT", DIALPLAN_NAME, "letters, digits, '_', '-' (1-79)"),
        v.matching("DEFAULT_EXTENSION", DIALPLAN_EXTENSION, "letters, digits, '_', '*', '#', '+', '-' (1-79)"),
        v.integer("DEFAULT_PRIORITY", n -> n >= 1, "1 or more"),
        v.integer("DEFAULT_TIMEOUT", n -> n > 0 && n <= 600_000, "milliseconds, more than 0 and at most 600000"),
        callerId,
        v.bool("METRICS_ENABLED"),
        v.optional("METRICS_TOKEN").map(ConfigLoader::checkMetricsToken),
        v.decimal("SANDBOX_TIME_SCALE", x -> x >= 0 && x <= 1000, "a number from 0 (every simulated step at once) to 1000"),
        ClusterConfig.read(v, databaseUrl),
        AsteriskServers.from(v::string),
        WebhookConfig.read(v),
        EdgeConfig.read(v),
        v.integer("SHUTDOWN_GRACE_SECONDS", n -> n >= 1 && n <= 600, "seconds between 1 and 600"),
        DispatchConfig.read(v),
        RetentionSettings.days(v.integer("RETAIN_CALLS_DAYS", n -> n >= 0 && n <= 36_500,
            "days between 1 and 36500, or 0 to keep every call")),
        new DatabasePoolSettings(
            v.integer("DATABASE_POOL_SIZE", n -> n >= 1 && n <= 200, "between 1 and 200"),
            v.integer("DATABASE_POOL_WAIT_SECONDS", n -> n >= 1 && n <= 300, "seconds between 1 and 300"),
            v.integer("DATABASE_POOL_MAX_WAITING", n -> n >= 1 && n <= 1_000_000, "between 1 and 1000000")));
  }

  /**
   * Without DATABASE_URL the service is being tried out, with a well-known admin password from the README: only
   * this machine may reach it unless HTTP_HOST says otherwise. With DATABASE_URL it is deployed: all interfaces.
   */
  static String defaultHost(Optional<String> databaseUrl) {
    return databaseUrl.isPresent() ? "0.0.0.0" : "127.0.0.1";
  }

  /**
   * The sandbox simulates every call (nobody is dialled), so it never runs by accident where real calls are
   * expected: it runs in the zero-config mode (no DATABASE_URL) or when ARI_SANDBOX=true says so, and never
   * together with ARI_HTTP_URL. ARI_SANDBOX unset means "the default of the mode".
   */
  private static void checkSandboxChoice(ConfigValues v, boolean externalDatabase, boolean realAsterisk) {
    Optional<Boolean> sandbox = v.optional("ARI_SANDBOX").map(raw -> v.bool("ARI_SANDBOX"));
    if (realAsterisk && sandbox.orElse(false)) {
      throw new ConfigException("ARI_SANDBOX", "true together with ARI_HTTP_URL: remove one (ARI_HTTP_URL places real "
          + "calls through Asterisk, ARI_SANDBOX=true simulates them)");
    }
    if (!realAsterisk && (sandbox.isPresent() ? !sandbox.get() : externalDatabase)) {
      throw new ConfigException("ARI_HTTP_URL", "not set" + (externalDatabase ? " while DATABASE_URL is" : "")
          + ": set ARI_HTTP_URL to your Asterisk (e.g. http://10.0.0.5:8088), or ARI_SANDBOX=true to simulate calls "
          + "(nobody is dialled)");
    }
  }

  /** Sent by Prometheus as a bearer token: long enough not to be guessed, and header-safe. */
  private static String checkMetricsToken(String token) {
    if (token.length() < 16 || token.length() > 512 || !token.matches("[A-Za-z0-9._~+/=-]+")) {
      throw new ConfigException("METRICS_TOKEN",
          "16 to 512 characters among letters, digits and . _ ~ + / = - (generate one with: openssl rand -hex 24)");
    }
    return token;
  }

  private static void checkSecret(String secret) {
    if (secret.getBytes(StandardCharsets.UTF_8).length < 32) {
      throw new ConfigException("SECRET_KEY", "must be at least 32 bytes (generate one with: openssl rand -hex 32)");
    }
    if (EXAMPLE_SECRETS.contains(secret)) {
      throw new ConfigException("SECRET_KEY", "is an example value from the documentation; generate your own");
    }
  }

  private static void checkHttpUrl(String url) {
    try {
      URI uri = new URI(url);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new ConfigException("ARI_HTTP_URL", "must be an http(s) URL like http://127.0.0.1:8088");
      }
    } catch (URISyntaxException e) {
      throw new ConfigException("ARI_HTTP_URL", "not a URL: " + e.getMessage());
    }
  }
}
