package dev.contactcenter;

import dev.contactcenter.config.AppConfig;

/** The start-up banner: where to find the API, its docs and health, and anything the operator must act on. */
final class Banner {

  private Banner() {
  }

  static void print(Application app) {
    AppConfig config = app.config();
    String host = "0.0.0.0".equals(config.httpHost()) || "::".equals(config.httpHost()) ? "localhost" : config.httpHost();
    String base = "http://" + host + ":" + app.httpPort();
    StringBuilder out = new StringBuilder();
    out.append("\n==============================================================================\n");
    out.append(" Contact Center API is running\n");
    out.append("   API:     ").append(base).append("/api/v2\n");
    out.append("   Docs:    ").append(base).append("/docs   (ReDoc: ").append(base).append("/redoc)\n");
    out.append("   Health:  ").append(base).append("/health\n");
    out.append("   Dashboard: ").append(base).append("/dashboard").append(app.generatedAdminPassword().isPresent()
        || config.adminPassword().isPresent() ? "   (sign in as admin)\n" : "\n");
    out.append("   Listens: ").append(config.httpHost()).append(':').append(app.httpPort())
        .append(loopbackOnly(config.httpHost())
            ? " (this machine only; HTTP_HOST=0.0.0.0 opens it to other machines)\n" : "\n");
    out.append("   Database: ").append(app.embeddedDatabase()
        ? "embedded PostgreSQL, data in " + config.dataDir().toAbsolutePath().normalize() : "external (DATABASE_URL)").append('\n');
    out.append("   Asterisk: ").append(config.sandboxMode()
        ? "SANDBOX: calls are SIMULATED, no real phone call is placed (set ARI_HTTP_URL for a real Asterisk)"
        : config.ariHttpUrl().orElseGet(() -> config.asteriskServers().stream()
            .map(server -> server.name() + " " + server.ariUrl()).collect(java.util.stream.Collectors.joining(", "))))
        .append('\n');
    if (app.secretGenerated()) {
      out.append("\n WARNING: no SECRET_KEY set; generated one and stored it in ")
          .append(config.dataDir().resolve("secret.key")).append(".\n Set SECRET_KEY in production.\n");
    }
    app.generatedAdminPassword().ifPresent(password -> out
        .append("\n ************************************************************************\n")
        .append("  Created user 'admin' with a random password (shown only this once):\n")
        .append("      ").append(password).append('\n')
        .append("  Set ADMIN_PASSWORD before the first start to choose it instead. Lost it? Run\n")
        .append("      java -jar target/contact-center-api.jar reset-password admin\n")
        .append(" ************************************************************************\n"));
    out.append("==============================================================================\n");
    System.out.println(out);
  }

  static boolean loopbackOnly(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
  }
}
