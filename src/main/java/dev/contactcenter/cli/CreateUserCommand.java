package dev.contactcenter.cli;

import static dev.contactcenter.bus.EventBusAddresses.USERS_CREATE;

import dev.contactcenter.auth.PasswordHasher;
import dev.contactcenter.auth.Usernames;
import dev.contactcenter.config.AppConfig;
import dev.contactcenter.db.DatabaseSupply;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.persistence.PersistenceVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * {@code create-user --username NAME [--role admin|user]}: the password comes from standard input (never the
 * command line, which other users of the machine can read). Works with the service running or not: in the
 * embedded mode it uses the service's running database, or starts it for the duration of the command.
 */
public final class CreateUserCommand {

  private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_.-]{3,64}");

  private CreateUserCommand() {
  }

  public static int run(AppConfig config, String[] args) throws Exception {
    String username = null;
    String role = "user";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--username" -> username = i + 1 < args.length ? args[++i] : null;
        case "--role" -> role = i + 1 < args.length ? args[++i] : null;
        case "--password" -> {
          System.err.println("--password is not accepted: pass the password on standard input");
          return 2;
        }
        default -> {
          System.err.println("unknown argument: " + args[i]);
          return 2;
        }
      }
    }
    if (username == null || !USERNAME.matcher(username).matches()) {
      System.err.println("--username is required: 3-64 letters, digits, '_', '.', '-'");
      return 2;
    }
    if (!"user".equals(role) && !"admin".equals(role)) {
      System.err.println("--role must be user or admin");
      return 2;
    }
    String password = readPassword();
    String passwordProblem = Usernames.passwordProblem(password);
    if (passwordProblem != null) {
      System.err.println("the password (from standard input) must have " + passwordProblem);
      return 2;
    }

    try (DatabaseSupply database = DatabaseSupply.forCommand(config)) {
      Migrations.migrate(database.url());
      Vertx vertx = Vertx.vertx();
      try (PasswordHasher hasher = new PasswordHasher(vertx, config.bcryptCost())) {
        vertx.deployVerticle(new PersistenceVerticle(database.url(), 1)).await();
        String hash = hasher.hashNow(password);
        vertx.eventBus().<JsonObject>request(USERS_CREATE,
            new JsonObject().put("username", username).put("password_hash", hash).put("role", role)).await();
        System.out.println("Created user '" + username + "' with role " + role);
        return 0;
      } catch (ReplyException e) {
        System.err.println("cannot create user: " + e.getMessage());
        return e.failureCode() == 409 ? 3 : 1;
      } finally {
        vertx.close().await();
      }
    }
  }

  static String readPassword() throws IOException {
    Console console = System.console();
    if (console != null && System.in.available() == 0) {
      char[] typed = console.readPassword("Password for the new user: ");
      return typed == null ? null : new String(typed);
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line = in.readLine();
    return line == null ? null : line.stripTrailing();
  }
}
