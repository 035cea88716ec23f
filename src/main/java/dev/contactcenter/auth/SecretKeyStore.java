package dev.contactcenter.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The signing secret of the zero-config run, kept in {@code DATA_DIR/secret.key} (mode 600) so tokens survive
 * a restart. Blocking file I/O: call before the event loops start or on a worker.
 */
public final class SecretKeyStore {

  private static final String FILE = "secret.key";

  private SecretKeyStore() {
  }

  public record Loaded(String secret, boolean generated) {
  }

  public static Loaded loadOrCreate(Path dataDir) throws IOException {
    Path file = dataDir.resolve(FILE);
    Optional<String> existing = Files.isRegularFile(file)
        ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim()).filter(s -> s.length() >= 32)
        : Optional.empty();
    if (existing.isPresent()) {
      return new Loaded(existing.get(), false);
    }
    Files.createDirectories(dataDir);
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    String secret = HexFormat.of().formatHex(random);
    Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // Not a POSIX file system: the directory's own permissions apply.
    }
    return new Loaded(secret, true);
  }
}
