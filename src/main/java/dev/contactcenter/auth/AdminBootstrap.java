package dev.contactcenter.auth;

import static dev.contactcenter.bus.EventBusAddresses.USERS_BOOTSTRAP_ADMIN;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure someone can log in: whenever the users table is empty at start, creates {@code admin} (role admin)
 * with ADMIN_PASSWORD, or with a random password that is returned so it can be printed once.
 */
public final class AdminBootstrap {

  public static final String ADMIN = "admin";

  private static final Logger LOG = LoggerFactory.getLogger(AdminBootstrap.class);

  private AdminBootstrap() {
  }

  /** The generated password when one was made and used, empty otherwise. */
  public static Future<Optional<String>> ensureAdmin(EventBus bus, PasswordHasher hasher,
      Optional<String> configuredPassword) {
    return bus.<JsonObject>request(USERS_BOOTSTRAP_ADMIN, new JsonObject().put("check_only", true))
        .compose(check -> {
          if (!check.body().getBoolean("needed")) {
            if (configuredPassword.isPresent()) {
              LOG.warn("ADMIN_PASSWORD is ignored: users already exist (it only sets the password of the first"
                  + " admin). To change a password: java -jar target/contact-center-api.jar reset-password admin");
            }
            return Future.succeededFuture(Optional.<String>empty());
          }
          String password = configuredPassword.orElseGet(AdminBootstrap::randomPassword);
          return hasher.hash(password)
              .compose(hash -> bus.<JsonObject>request(USERS_BOOTSTRAP_ADMIN,
                  new JsonObject().put("username", ADMIN).put("password_hash", hash)))
              .map(created -> created.body().getBoolean("created") && configuredPassword.isEmpty()
                  ? Optional.of(password) : Optional.<String>empty());
        });
  }

  private static String randomPassword() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
