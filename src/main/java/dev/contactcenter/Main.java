package dev.contactcenter;

import dev.contactcenter.cli.AccountCommand;
import dev.contactcenter.cli.CreateUserCommand;
import dev.contactcenter.cli.MigrateCommand;
import dev.contactcenter.config.AppConfig;
import dev.contactcenter.config.ConfigException;
import dev.contactcenter.config.ConfigLoader;
import dev.contactcenter.config.StartupProblem;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the fat jar: {@code java -jar contact-center-api.jar [serve | migrate | create-user ...]}.
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) {
    long mainEnteredAt = System.currentTimeMillis();
    String command = args.length == 0 ? "serve" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    AppConfig config;
    try {
      config = "serve".equals(command) ? ConfigLoader.load() : ConfigLoader.loadForAdminCommand(System.getenv());
    } catch (ConfigException e) {
      System.err.println("Configuration error: " + e.getMessage());
      exit(2);
      return;
    }
    try {
      int exit = switch (command) {
        case "serve" -> serve(config, mainEnteredAt);
        case "migrate" -> MigrateCommand.run(config);
        case "create-user" -> CreateUserCommand.run(config, rest);
        case "reset-password" -> AccountCommand.resetPassword(config, rest);
        case "enable-user" -> AccountCommand.enableUser(config, rest);
        case "-h", "--help", "help" -> usage(0);
        default -> usage(2);
      };
      if (exit >= 0) {
        exit(exit);
      }
    } catch (ConfigException e) {
      System.err.println("Configuration error: " + e.getMessage());
      exit(2);
    } catch (Exception e) {
      Optional<StartupProblem> problem = StartupProblem.in(e);
      if (problem.isPresent()) {
        // Something for the operator to fix, said in one line: no stack trace to read past.
        System.err.println(command + " failed: " + problem.get().getMessage());
        exit(1);
        return;
      }
      LOG.error("{} failed: {}", command, e.getMessage(), e);
      System.err.println(command + " failed: " + e.getMessage());
      exit(1);
    }
  }

  /** Runs the service until the JVM is asked to stop; returns -1 so main does not exit. */
  private static int serve(AppConfig config, long mainEnteredAt) throws Exception {
    Application app = Application.start(config);
    logStartTime(mainEnteredAt);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // SIGTERM (or Ctrl-C): drain within SHUTDOWN_GRACE_SECONDS; should a step hang anyway, exit regardless.
      Thread watchdog = new Thread(() -> {
        try {
          Thread.sleep(TimeUnit.SECONDS.toMillis(config.shutdownGraceSeconds()) + 2_000);
          System.err.println("Shutdown took longer than SHUTDOWN_GRACE_SECONDS=" + config.shutdownGraceSeconds()
              + "; exiting now");
          Runtime.getRuntime().halt(1);
        } catch (InterruptedException done) {
          // Stopped in time.
        }
      }, "shutdown-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
      try {
        app.stop();
      } catch (Exception e) {
        System.err.println("Stopping failed: " + e.getMessage());
      } finally {
        watchdog.interrupt();
        flushLogs();
      }
    }, "shutdown"));
    Banner.print(app);
    return -1;
  }

  /** How long the start took, and how much of it the JVM took before {@code main} (what AppCDS shortens). */
  private static void logStartTime(long mainEnteredAt) {
    long now = System.currentTimeMillis();
    ProcessHandle.current().info().startInstant().ifPresentOrElse(
        started -> LOG.info("Started in {} ms: JVM until main {} ms, service start {} ms", now - started.toEpochMilli(),
            mainEnteredAt - started.toEpochMilli(), now - mainEnteredAt),
        () -> LOG.info("Started in {} ms from main", now - mainEnteredAt));
  }

  /**
   * Writes out the asynchronous log queue. Logback's own shutdown hook is not used: it ran beside the service's
   * and dropped the lines of the shutdown itself.
   */
  private static void flushLogs() {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logging) {
      logging.stop();
    }
  }

  private static void exit(int status) {
    flushLogs();
    System.exit(status);
  }

  private static int usage(int exit) {
    (exit == 0 ? System.out : System.err).println("""
        Usage: java -jar contact-center-api.jar [command]

        Commands:
          serve                                   run the service (default)
          migrate                                 apply database migrations and exit
          create-user --username NAME [--role admin|user]
                                                  create a user; the password is read from standard input
          reset-password NAME                     set a user's password (read from standard input)
          enable-user NAME                        enable a disabled user (e.g. a locked-out admin)

        Configuration: conf/config.json, each key overridable by an environment variable (see README.md).""");
    return exit;
  }
}
