package dev.contactcenter.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A {@code postgresql://user:pass@host:port/db} URL, split into what the reactive client and JDBC (Flyway) need.
 * Query parameters (e.g. {@code sslmode=require}) are kept for both.
 */
public record DatabaseUrl(String host, int port, String database, String user, String password, String query) {

  public static DatabaseUrl parse(String url) {
    try {
      URI uri = new URI(url);
      if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
        throw new ConfigException("DATABASE_URL", "must start with postgresql:// (got " + uri.getScheme() + "://)");
      }
      if (uri.getHost() == null) {
        throw new ConfigException("DATABASE_URL", "has no host; expected postgresql://user:pass@host:port/db");
      }
      String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
      if (path.isEmpty()) {
        throw new ConfigException("DATABASE_URL", "has no database name; expected postgresql://user:pass@host:port/db");
      }
      String user = "";
      String password = "";
      if (uri.getRawUserInfo() != null) {
        String[] parts = uri.getRawUserInfo().split(":", 2);
        user = decode(parts[0]);
        password = parts.length > 1 ? decode(parts[1]) : "";
      }
      return new DatabaseUrl(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), path, user, password,
          uri.getRawQuery() == null ? "" : uri.getRawQuery());
    } catch (URISyntaxException e) {
      throw new ConfigException("DATABASE_URL", "not a URL (" + e.getReason() + ")");
    }
  }

  public static DatabaseUrl of(String host, int port, String database, String user, String password) {
    return new DatabaseUrl(host, port, database, user, password, "");
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database + (query.isEmpty() ? "" : "?" + query);
  }

  /** The URL as the reactive pg client takes it (credentials included). */
  public String reactiveUri() {
    String credentials = user.isEmpty() ? "" : encode(user) + (password.isEmpty() ? "" : ":" + encode(password)) + "@";
    return "postgresql://" + credentials + host + ":" + port + "/" + database + (query.isEmpty() ? "" : "?" + query);
  }

  /** For log lines: never prints the password. */
  public String redacted() {
    return "postgresql://" + (user.isEmpty() ? "" : user + "@") + host + ":" + port + "/" + database;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
