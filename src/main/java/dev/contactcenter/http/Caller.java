package dev.contactcenter.http;

import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;

/** The authenticated caller of a request, read from the verified JWT. */
record Caller(String username, boolean admin) {

  static Caller of(RoutingContext rc) {
    User user = rc.user();
    String role = user.get("role");
    return new Caller(user.get("sub"), "admin".equals(role));
  }
}
