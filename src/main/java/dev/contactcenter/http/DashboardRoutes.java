package dev.contactcenter.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The live call dashboard at {@code /dashboard}: a static page and its scripts from the jar, plus the SockJS client
 * from its webjar, so it works offline. It talks to the API ({@code /api/v2/*}) and to the event-bus bridge
 * ({@link EventBusBridge}) like any other client; there is no server-side state here.
 */
final class DashboardRoutes {

  /** Where the page (and SockJS's own iframe transports) load the SockJS client from. */
  static final String SOCKJS_PATH = "/dashboard/vendor/sockjs.min.js";

  /** Same-origin scripts, styles, API calls and sockets only; no inline code, never framed. */
  private static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private DashboardRoutes() {
  }

  static void mount(Router router) {
    Buffer page = DocsRoutes.resource("webroot/dashboard/index.html");
    String sockJsVersion = DocsRoutes.webjarVersions().getProperty("sockjs-client");

    router.get("/dashboard").handler(rc -> page(rc, page));
    router.get("/dashboard/").handler(rc -> rc.redirect("/dashboard"));
    router.get("/dashboard/index.html").handler(rc -> rc.redirect("/dashboard"));
    router.get("/dashboard/vendor/*").handler(StaticHandler.create(
        "META-INF/resources/webjars/sockjs-client/" + sockJsVersion + "/dist").setCachingEnabled(true));
    // The page's own files change with each release of the jar: revalidate them instead of caching for a day.
    router.get("/dashboard/*").handler(rc -> {
      rc.response().putHeader("Cache-Control", "no-cache");
      rc.next();
    }).handler(StaticHandler.create("webroot/dashboard").setCachingEnabled(false).setDirectoryListing(false));
  }

  private static void page(RoutingContext rc, Buffer page) {
    rc.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Cache-Control", "no-cache")
        .end(page);
  }
}
