package dev.contactcenter.cluster;

import dev.contactcenter.config.ConfigException;
import dev.contactcenter.dispatch.DispatchLimits;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The Asterisk servers, from {@code ASTERISK_SERVERS} (a JSON array) or the JSON file named by
 * {@code ASTERISK_SERVERS_FILE} (e.g. {@code conf/asterisk-servers.json}); without either, the single
 * {@code ARI_HTTP_URL}/{@code ARI_USERNAME}/{@code ARI_PASSWORD}/{@code ARI_APP}/{@code ARI_ENDPOINT_TEMPLATE} set
 * is one server named {@value AsteriskServer#DEFAULT_NAME}, and no ARI URL at all means the sandbox (empty list).
 *
 * <p>Each entry: {@code {"name", "ari_url", "username", "password", "app"?, "endpoint_template"?, "weight"?,
 * "max_calls_per_second"?, "max_concurrent_calls"?, "max_queue_seconds"?}};
 * {@code app} and {@code endpoint_template} default to ARI_APP and ARI_ENDPOINT_TEMPLATE, {@code weight} to 1, the
 * limits to none (ARI_MAX_CALLS_PER_SECOND, ARI_MAX_CONCURRENT_CALLS, ARI_MAX_QUEUE_SECONDS set them for the one
 * ARI_* server).
 * Unknown members are refused so that a typo ({@code "wieght"}) is not silently a default.
 */
public final class AsteriskServers {

  static final String KEY = "ASTERISK_SERVERS";
  static final String FILE_KEY = "ASTERISK_SERVERS_FILE";

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
  private static final Pattern ARI_APP = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Set<String> MEMBERS = Set.of("name", "ari_url", "username", "password", "app",
      "endpoint_template", "weight", "max_calls_per_second", "max_concurrent_calls", "max_queue_seconds");

  private AsteriskServers() {
  }

  /**
   * Reads the list; {@code value} gives a configuration key's trimmed value ("" when unset). The ARI_* values are
   * assumed checked already (they are the shorthand's and the defaults').
   */
  public static List<AsteriskServer> from(Function<String, String> value) {
    String inline = value.apply(KEY);
    String file = value.apply(FILE_KEY);
    if (!inline.isEmpty() && !file.isEmpty()) {
      throw new ConfigException(KEY, "set " + KEY + " or " + FILE_KEY + ", not both");
    }
    if (inline.isEmpty() && file.isEmpty()) {
      return shorthand(value);
    }
    if (!value.apply("ARI_HTTP_URL").isEmpty()) {
      throw new ConfigException(inline.isEmpty() ? FILE_KEY : KEY, "set ARI_HTTP_URL (one server) or a server list, "
          + "not both");
    }
    String key = inline.isEmpty() ? FILE_KEY : KEY;
    String text = inline.isEmpty() ? read(file) : inline;
    JsonArray entries;
    try {
      entries = new JsonArray(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException(key, "not a JSON array of servers: " + oneLine(e.getMessage()));
    }
    return parse(entries, key, value.apply("ARI_APP"), value.apply("ARI_ENDPOINT_TEMPLATE"));
  }

  /** Checks every entry of {@code entries}; errors name {@code key}, the entry's position and its name. */
  static List<AsteriskServer> parse(JsonArray entries, String key, String defaultApp, String defaultTemplate) {
    if (entries.isEmpty()) {
      throw new ConfigException(key, "lists no server; list at least one, or unset it and use ARI_HTTP_URL");
    }
    List<AsteriskServer> servers = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> streams = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      if (!(entries.getValue(i) instanceof JsonObject entry)) {
        throw new ConfigException(key, "entry " + (i + 1) + " is not a JSON object");
      }
      Entry e = new Entry(key, i + 1, entry);
      AsteriskServer server = e.server(defaultApp, defaultTemplate);
      if (!names.add(server.name())) {
        throw new ConfigException(key, e.where() + ": the name is used twice; names must be unique");
      }
      if (!streams.add(server.ariUrl() + " " + server.app())) {
        throw new ConfigException(key, e.where() + ": same ari_url and app as another entry (Asterisk gives an "
            + "app's events to one connection only)");
      }
      servers.add(server);
    }
    return List.copyOf(servers);
  }

  private static List<AsteriskServer> shorthand(Function<String, String> value) {
    String url = value.apply("ARI_HTTP_URL");
    if (url.isEmpty()) {
      return List.of();
    }
    return List.of(new AsteriskServer(AsteriskServer.DEFAULT_NAME, stripSlash(url), value.apply("ARI_USERNAME"),
        value.apply("ARI_PASSWORD"), value.apply("ARI_APP"), value.apply("ARI_ENDPOINT_TEMPLATE"), 1,
        shorthandLimits(value)));
  }

  /** The limits of the one ARI_* server (and of the sandbox): ARI_MAX_CALLS_PER_SECOND and friends, 0 = none. */
  public static DispatchLimits shorthandLimits(Function<String, String> value) {
    return new DispatchLimits(
        envLimit(value, "ARI_MAX_CALLS_PER_SECOND", DispatchLimits.MAX_CALLS_PER_SECOND),
        envLimit(value, "ARI_MAX_CONCURRENT_CALLS", DispatchLimits.MAX_CONCURRENT_CALLS),
        envLimit(value, "ARI_MAX_QUEUE_SECONDS", DispatchLimits.MAX_QUEUE_SECONDS));
  }

  private static int envLimit(Function<String, String> value, String key, int max) {
    String text = value.apply(key);
    if (text == null || text.isEmpty()) {
      return 0;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= 0 && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw new ConfigException(key, "'" + text + "' is invalid: a whole number from 0 (no limit) to " + max);
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(FILE_KEY, "cannot read " + file + ": " + oneLine(String.valueOf(e.getMessage())));
    }
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static String oneLine(String text) {
    String line = text.replaceAll("\\s+", " ").trim();
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }

  /** One entry being checked; every failure says which entry. */
  private record Entry(String key, int position, JsonObject json) {

    String where() {
      Object name = json.getValue("name");
      return "server " + position + (name instanceof String s && !s.isBlank() ? " ('" + s + "')" : "");
    }

    ConfigException bad(String reason) {
      return new ConfigException(key, where() + ": " + reason);
    }

    AsteriskServer server(String defaultApp, String defaultTemplate) {
      for (String member : json.fieldNames()) {
        if (!MEMBERS.contains(member)) {
          throw bad("unknown member '" + member + "' (expected " + String.join(", ", new java.util.TreeSet<>(MEMBERS))
              + ")");
        }
      }
      String name = text("name", true);
      if (!NAME.matcher(name).matches()) {
        throw bad("name '" + name + "' is invalid: lower-case letters, digits, '_', '-' (1-32)");
      }
      String url = stripSlash(text("ari_url", true));
      checkUrl(url);
      String username = text("username", true);
      String password = text("password", true);
      String app = text("app", false);
      app = app.isEmpty() ? defaultApp : app;
      if (!ARI_APP.matcher(app).matches()) {
        throw bad("app '" + app + "' is invalid: letters, digits, '_', '.', '-' (1-64)");
      }
      String template = text("endpoint_template", false);
      template = template.isEmpty() ? defaultTemplate : template;
      if (!template.contains("{number}") && !template.contains("{digits}")) {
        throw bad("endpoint_template must contain {number} or {digits}, e.g. PJSIP/{number}@trunk");
      }
      return new AsteriskServer(name, url, username, password, app, template, weight(),
          new DispatchLimits(limit("max_calls_per_second", DispatchLimits.MAX_CALLS_PER_SECOND),
              limit("max_concurrent_calls", DispatchLimits.MAX_CONCURRENT_CALLS),
              limit("max_queue_seconds", DispatchLimits.MAX_QUEUE_SECONDS)));
    }

    private int limit(String member, int max) {
      Object value = json.getValue(member);
      if (value == null) {
        return 0;
      }
      if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
          && n.doubleValue() >= 0 && n.doubleValue() <= max) {
        return n.intValue();
      }
      throw bad(member + " " + value + " is invalid: a whole number from 0 (no limit) to " + max);
    }

    private String text(String member, boolean required) {
      Object value = json.getValue(member);
      if (value == null) {
        if (required) {
          throw bad("'" + member + "' is required");
        }
        return "";
      }
      if (!(value instanceof String s)) {
        throw bad("'" + member + "' must be a string");
      }
      if (required && s.isBlank()) {
        throw bad("'" + member + "' must not be empty");
      }
      return s.trim();
    }

    private int weight() {
      Object value = json.getValue("weight");
      if (value == null) {
        return 1;
      }
      if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
          && n.doubleValue() >= 1 && n.doubleValue() <= 1000) {
        return n.intValue();
      }
      throw bad("weight " + value + " is invalid: a whole number from 1 to 1000");
    }

    private void checkUrl(String url) {
      try {
        URI uri = new URI(url);
        if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
          return;
        }
      } catch (URISyntaxException e) {
        // Reported below.
      }
      throw bad("ari_url '" + url + "' is not an http(s) URL like http://10.0.0.21:8088");
    }
  }
}
