package dev.contactcenter.sandbox;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Lets a request through only with the ARI user's credentials, given as HTTP basic auth or, as ARI
 * also accepts, as {@code ?api_key=user:password}. Anything else gets Asterisk's 401.
 */
final class AriAuthHandler implements Handler<RoutingContext> {

  private final byte[] expected;

  AriAuthHandler(String username, String password) {
    this.expected = (username + ":" + password).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (matches(basicCredentials(ctx.request().getHeader(HttpHeaders.AUTHORIZATION)))
        || matches(ctx.request().getParam("api_key"))) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("WWW-Authenticate", "Basic realm=\"Asterisk REST Interface\"");
    AriResponses.error(ctx, 401, "Authentication required");
  }

  private boolean matches(String credentials) {
    // Constant-time comparison: the sandbox may listen while a real password is configured.
    return credentials != null
        && MessageDigest.isEqual(expected, credentials.getBytes(StandardCharsets.UTF_8));
  }

  private static String basicCredentials(String header) {
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    try {
      return new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException notBase64) {
      return null;
    }
  }
}
