package dev.contactcenter.db;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * An OS lock on {@code DATA_DIR/service.lock}, held for the whole life of the process that owns DATA_DIR (the
 * service, or a CLI command that started the embedded database itself). The kernel releases it when the process
 * dies, even by kill -9: a free lock means nobody owns DATA_DIR, whatever was left running.
 */
public final class DataDirLock implements AutoCloseable {

  static final String FILE = "service.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock, or returns empty when another live process holds it. Blocking file I/O. */
  public static Optional<DataDirLock> tryAcquire(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException heldInThisJvm) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      return Optional.empty();
    }
    // The owner's pid, for the message a second start prints.
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
    channel.force(false);
    return Optional.of(new DataDirLock(channel, lock));
  }

  /** The pid written by the holder of the lock, when readable. */
  public static String holder(Path dataDir) {
    try {
      return Files.readString(dataDir.resolve(FILE), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
