package dev.contactcenter.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    Buffer served = servedContract(contractYaml);
    router.get("/openapi.yaml").handler(rc -> rc.response()
        .putHeader("Content-Type", "application/yaml; charset=utf-8").end(served));
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

  /**
   * The contract as served: its {@code servers} list becomes the relative {@code /}, so Swagger UI's "Try it out"
   * calls the server the page was opened from (127.0.0.1, another port, a VM's address, behind a proxy). The file
   * in the repository keeps an absolute URL for generated clients.
   */
  static Buffer servedContract(Buffer contractYaml) {
    String yaml = contractYaml.toString(StandardCharsets.UTF_8);
    Matcher servers = SERVERS_BLOCK.matcher(yaml);
    if (!servers.find()) {
      throw new IllegalStateException("openapi.yaml has no top-level servers list to point at this server");
    }
    return Buffer.buffer(yaml.substring(0, servers.start()) + SERVED_SERVERS + yaml.substring(servers.end()));
  }

  /** The top-level {@code servers:} key and its indented lines, up to the next top-level key. */
  private static final Pattern SERVERS_BLOCK = Pattern.compile("(?m)^servers:[ \\t]*\\n(?:(?:[ \\t].*)?\\n)*?(?=^\\S)");
  private static final String SERVED_SERVERS = """
      servers:
        - url: /
          description: This server (the address this contract was served from)

      """;

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
