package dev.contactcenter.http;

import io.vertx.ext.web.RoutingContext;

/** The client's address, from the first X-Forwarded-For hop when the service sits behind a trusted proxy. */
final class ClientAddress {

  private ClientAddress() {
  }

  static String of(RoutingContext rc, boolean trustProxyHeaders) {
    if (trustProxyHeaders) {
      String forwarded = rc.request().getHeader("X-Forwarded-For");
      if (forwarded != null && !forwarded.isBlank()) {
        int comma = forwarded.indexOf(',');
        return (comma < 0 ? forwarded : forwarded.substring(0, comma)).trim();
      }
    }
    return rc.request().remoteAddress() == null ? "unknown" : rc.request().remoteAddress().hostAddress();
  }
}
