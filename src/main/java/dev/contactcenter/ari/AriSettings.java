package dev.contactcenter.ari;

import dev.contactcenter.calls.CallTimeouts;
import dev.contactcenter.cluster.AsteriskServer;
import dev.contactcenter.config.AppConfig;

/** How to reach Asterisk's ARI and what to dial: the slice of the configuration the ARI verticle needs. */
public record AriSettings(String httpUrl, String username, String password, String app, String endpointTemplate,
    int requestTimeoutMs, boolean simulated) {

  /**
   * {@code httpUrl} is kept as the server's root: ARI_HTTP_URL may be written with or without the {@code /ari}
   * suffix (the seed README writes {@code http://host:8088/ari}) and with or without a trailing slash; the
   * {@code /ari/...} paths are added where requests are made.
   */
  public AriSettings {
    httpUrl = serverRoot(httpUrl);
  }

  /** {@code http://h:8088}, {@code …/}, {@code …/ari} and {@code …/ari/} all give {@code http://h:8088}. */
  static String serverRoot(String url) {
    String root = url.replaceAll("/+$", "");
    if (root.endsWith("/ari")) {
      root = root.substring(0, root.length() - "/ari".length());
    }
    return root.replaceAll("/+$", "");
  }

  /** A real Asterisk, from ARI_HTTP_URL and its credentials. */
  public static AriSettings from(AppConfig config) {
    return new AriSettings(config.ariHttpUrl().orElseThrow(), config.ariUsername(), config.ariPassword(),
        config.ariApp(), config.ariEndpointTemplate(), config.ariRequestTimeoutMs(), false);
  }

  /** One server of ASTERISK_SERVERS (or the ARI_* shorthand's "default"). */
  public static AriSettings of(AsteriskServer server, int requestTimeoutMs) {
    return new AriSettings(server.ariUrl(), server.username(), server.password(), server.app(),
        server.endpointTemplate(), requestTimeoutMs, false);
  }

  /** The built-in sandbox at {@code url}; calls are simulated. */
  public static AriSettings sandbox(AppConfig config, String url, String username, String password) {
    return new AriSettings(url, username, password, config.ariApp(), config.ariEndpointTemplate(),
        config.ariRequestTimeoutMs(), true);
  }

  /** Every timeout of a call's path, derived from the ARI request timeout. */
  public CallTimeouts timeouts() {
    return new CallTimeouts(requestTimeoutMs);
  }

  /** The dial string for a number: {@code {number}} is E.164 with '+', {@code {digits}} without it. */
  public String endpointFor(String e164) {
    return endpointTemplate.replace("{number}", e164).replace("{digits}", e164.substring(1));
  }

  /** The events WebSocket URI (path and query) for this app. */
  public String eventsPath() {
    java.net.URI uri = java.net.URI.create(httpUrl);
    String base = uri.getPath() == null ? "" : uri.getPath().replaceAll("/$", "");
    return base + "/ari/events?app=" + app + "&subscribeAll=false";
  }
}
