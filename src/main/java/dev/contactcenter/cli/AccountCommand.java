package dev.contactcenter.cli;

import static dev.contactcenter.bus.EventBusAddresses.USERS_SET_PASSWORD;
import static dev.contactcenter.bus.EventBusAddresses.USERS_UPDATE;

import dev.contactcenter.auth.PasswordHasher;
import dev.contactcenter.auth.Usernames;
import dev.contactcenter.config.AppConfig;
import dev.contactcenter.db.DatabaseSupply;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.persistence.PersistenceVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.regex.Pattern;

/**
 * The host operator's way back into a locked account: {@code reset-password [--username] NAME} (the new password on
 * standard input, or prompted on a terminal) and {@code enable-user [--username] NAME}. Like {@code create-user}, they work with the service
 * running or not; a running service sees the change within {@code UserDirectory.REFRESH_MS}.
 */
public final class AccountCommand {

  private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_.-]{3,64}");

  private AccountCommand() {
  }

  public static int resetPassword(AppConfig config, String[] args) throws Exception {
    String username = username(args);
    if (username == null) {
      return 2;
    }
    String password = CreateUserCommand.readPassword();
    String problem = Usernames.passwordProblem(password);
    if (problem != null) {
      System.err.println("the password (from standard input) must have " + problem);
      return 2;
    }
    return withDatabase(config, (vertx, hasher) -> {
      vertx.eventBus().<JsonObject>request(USERS_SET_PASSWORD,
          new JsonObject().put("username", username).put("password_hash", hasher.hashNow(password))).await();
      System.out.println("Password of '" + username + "' reset");
    });
  }

  public static int enableUser(AppConfig config, String[] args) throws Exception {
    String username = username(args);
    if (username == null) {
      return 2;
    }
    return withDatabase(config, (vertx, hasher) -> {
      vertx.eventBus().<JsonObject>request(USERS_UPDATE,
          new JsonObject().put("username", username).put("disabled", false)).await();
      System.out.println("User '" + username + "' enabled");
    });
  }

  private static String username(String[] args) {
    String username = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--username") && i + 1 < args.length) {
        username = args[++i];
      } else if (!args[i].startsWith("-") && username == null) {
        // The README's form: reset-password admin
        username = args[i];
      } else if (args[i].equals("--password")) {
        System.err.println("--password is not accepted: pass the password on standard input");
        return null;
      } else {
        System.err.println("unknown argument: " + args[i]);
        return null;
      }
    }
    if (username == null || !USERNAME.matcher(username).matches()) {
      System.err.println("a username is required (NAME or --username NAME): 3-64 letters, digits, '_', '.', '-'");
      return null;
    }
    return username;
  }

  private interface Step {
    void run(Vertx vertx, PasswordHasher hasher) throws Exception;
  }

  private static int withDatabase(AppConfig config, Step step) throws Exception {
    try (DatabaseSupply database = DatabaseSupply.forCommand(config)) {
      Migrations.migrate(database.url());
      Vertx vertx = Vertx.vertx();
      try (PasswordHasher hasher = new PasswordHasher(vertx, config.bcryptCost())) {
        vertx.deployVerticle(new PersistenceVerticle(database.url(), 1)).await();
        step.run(vertx, hasher);
        return 0;
      } catch (ReplyException e) {
        System.err.println("failed: " + e.getMessage());
        return e.failureCode() == 404 ? 3 : 1;
      } finally {
        vertx.close().await();
      }
    }
  }
}
