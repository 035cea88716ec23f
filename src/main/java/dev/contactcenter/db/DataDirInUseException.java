package dev.contactcenter.db;

import dev.contactcenter.config.StartupProblem;
import java.nio.file.Path;

/** Another live process owns DATA_DIR (holds its {@link DataDirLock}): starting beside it is refused. */
public final class DataDirInUseException extends StartupProblem {

  private static final long serialVersionUID = 1L;

  DataDirInUseException(Path dataDir) {
    super("DATA_DIR " + dataDir.toAbsolutePath().normalize() + " is in use by a running instance of the service (pid "
        + DataDirLock.holder(dataDir) + "): stop that one first, or give this one its own DATA_DIR");
  }
}
