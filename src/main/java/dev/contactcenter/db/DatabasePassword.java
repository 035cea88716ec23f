package dev.contactcenter.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/** The embedded database's generated superuser password, in a file only its owner can read. Blocking. */
final class DatabasePassword {

  private DatabasePassword() {
  }

  static String loadOrCreate(Path file) throws IOException {
    if (Files.isRegularFile(file)) {
      return read(file);
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String password = HexFormat.of().formatHex(random);
    Files.createDirectories(file.getParent());
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(temp);
    // Created with mode 600 (never readable by others, not even for a moment), then moved into place.
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(temp);
    }
    Files.writeString(temp, password + "\n", StandardCharsets.UTF_8);
    Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return password;
  }

  static String read(Path file) throws IOException {
    String password = Files.readString(file, StandardCharsets.UTF_8).trim();
    if (password.isEmpty() || !password.matches("[0-9a-f]+")) {
      throw new IOException(file + " does not hold the generated database password; delete it only together with "
          + "the data directory it belongs to");
    }
    return password;
  }
}
