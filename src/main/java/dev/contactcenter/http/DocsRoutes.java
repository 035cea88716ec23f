package dev.contactcenter.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Human documentation: Swagger UI at {@code /docs}, ReDoc at {@code /redoc}, both from webjars inside the jar
 * (no CDN, works offline), over the served contract at {@code /openapi.yaml}. Not API paths, so not in the contract.
 */
final class DocsRoutes {

  private DocsRoutes() {
  }

  static void mount(Router router, Buffer contractYaml) {
    Properties versions = webjarVersions();
    Buffer docsPage = resource("webroot/docs.html");
    Buffer docsInit = resource("webroot/docs-init.js");
    Buffer redocPage = resource("webroot/redoc.html");

    router.get("/openapi.yaml").handler(rc -> rc.response()
        .putHeader("Content-Type", "application/yaml; charset=utf-8").end(contractYaml));
    router.get("/docs").handler(rc -> rc.response().putHeader("Content-Type", "text/html; charset=utf-8").end(docsPage));
    router.get("/docs/init.js").handler(rc -> rc.response()
        .putHeader("Content-Type", "text/javascript; charset=utf-8").end(docsInit));
    router.get("/docs/assets/*").handler(StaticHandler.create(
        "META-INF/resources/webjars/swagger-ui/" + versions.getProperty("swagger-ui")).setCachingEnabled(true));
    router.get("/redoc").handler(rc -> rc.response().putHeader("Content-Type", "text/html; charset=utf-8").end(redocPage));
    router.get("/redoc/assets/*").handler(StaticHandler.create(
        "META-INF/resources/webjars/redoc/" + versions.getProperty("redoc")).setCachingEnabled(true));
    router.get("/").handler(rc -> rc.redirect("/docs"));
  }

  static Properties webjarVersions() {
    Properties versions = new Properties();
    try (InputStream in = DocsRoutes.class.getResourceAsStream("/webjars.properties")) {
      versions.load(in);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("webjars.properties missing from the jar", e);
    }
    return versions;
  }

  /** Read once at start-up (before serving), never per request. */
  static Buffer resource(String name) {
    try (InputStream in = DocsRoutes.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " missing from the jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
