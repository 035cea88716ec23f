package dev.contactcenter.http;

import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;

/**
 * The authenticated caller of a request: the username from the verified JWT, the role as the account has it now
 * (see {@link UserDirectory#requireActive}).
 */
record Caller(String username, boolean admin) {

  static Caller of(RoutingContext rc) {
    User user = rc.user();
    Boolean current = rc.get(UserDirectory.ADMIN_KEY);
    boolean admin = current != null ? current : "admin".equals(user.get("role"));
    return new Caller(user.get("sub"), admin);
  }
}
