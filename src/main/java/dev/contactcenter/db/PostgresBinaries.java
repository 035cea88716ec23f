package dev.contactcenter.db;

import dev.contactcenter.config.StartupProblem;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Picks the embedded PostgreSQL server build for this machine among those packaged in the jar (zonky's
 * {@code postgres-<os>-<arch>.txz} resources), and says in one line which platform lacks one.
 */
public final class PostgresBinaries {

  /** Every build the default jar packages (pom.xml); an image may package only its own (-Dpg.platforms). */
  public static final List<String> KNOWN = List.of(
      "postgres-linux-x86_64.txz",
      "postgres-linux-arm_64.txz",
      "postgres-darwin-x86_64.txz",
      "postgres-darwin-arm_64.txz",
      "postgres-windows-x86_64.txz");

  private PostgresBinaries() {
  }

  /** The resource name of the build for this os.name/os.arch, whether packaged or not; empty when none exists. */
  public static Optional<String> resourceFor(String osName, String osArch) {
    String name = osName.toLowerCase(Locale.ROOT);
    String arch = osArch.toLowerCase(Locale.ROOT);
    String system = name.startsWith("linux") ? "linux"
        : name.startsWith("mac") || name.startsWith("darwin") ? "darwin"
        : name.startsWith("windows") ? "windows" : null;
    String hardware = switch (arch) {
      case "amd64", "x86_64", "x64", "x86-64" -> "x86_64";
      case "aarch64", "arm64" -> "arm_64";
      default -> null;
    };
    if (system == null || hardware == null) {
      return Optional.empty();
    }
    String resource = "postgres-" + system + "-" + hardware + ".txz";
    return KNOWN.contains(resource) ? Optional.of(resource) : Optional.empty();
  }

  /** The resource for this JVM's platform, checked to be in the jar; the exception message is one line. */
  public static String forThisMachine(ClassLoader loader) {
    return forPlatform(System.getProperty("os.name"), System.getProperty("os.arch"), loader);
  }

  static String forPlatform(String osName, String osArch, ClassLoader loader) {
    Optional<String> resource = resourceFor(osName, osArch);
    if (resource.isPresent() && loader.getResource(resource.get()) != null) {
      return resource.get();
    }
    List<String> packaged = KNOWN.stream().filter(r -> loader.getResource(r) != null)
        .map(r -> r.substring("postgres-".length(), r.length() - ".txz".length())).toList();
    throw new MissingBinaries("no embedded PostgreSQL for " + osName + " " + osArch
        + (resource.isPresent() ? " in this jar" : " exists")
        + " (packaged: " + (packaged.isEmpty() ? "none" : String.join(", ", packaged))
        + "); set DATABASE_URL to use your own PostgreSQL 14+");
  }

  /** Hands zonky the build chosen here rather than letting it guess from its own platform names. */
  static PgBinaryResolver resolver(String resource, ClassLoader loader) {
    return (system, machineHardware) -> {
      InputStream in = loader.getResourceAsStream(resource);
      if (in == null) {
        throw new IllegalStateException("embedded PostgreSQL build " + resource + " vanished from the class path");
      }
      return in;
    };
  }

  /** No packaged PostgreSQL build runs on this machine. */
  public static final class MissingBinaries extends StartupProblem {

    private static final long serialVersionUID = 1L;

    MissingBinaries(String message) {
      super(message);
    }
  }
}
