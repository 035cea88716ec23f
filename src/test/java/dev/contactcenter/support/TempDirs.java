package dev.contactcenter.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Temporary files and directories for tests and the bench, removed when the JVM exits (also when a test failed),
 * so a run never leaves its data in /tmp. Callers that stop a process using a directory delete it themselves
 * with {@link #deleteRecursively(Path)} right after the process stopped.
 */
public final class TempDirs {

  private static final List<Path> AT_EXIT = new ArrayList<>();
  /** Registered on first use: a shutdown hook calling only deleteRecursively must not try to add a hook. */
  private static boolean hookAdded;

  private TempDirs() {
  }

  /** A new directory under the system temp dir, deleted with everything in it at JVM exit. */
  public static Path create(String prefix) {
    try {
      return deleteAtExit(Files.createTempDirectory(prefix));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new file under the system temp dir, deleted at JVM exit. */
  public static Path createFile(String prefix, String suffix) {
    try {
      return deleteAtExit(Files.createTempFile(prefix, suffix));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static synchronized Path deleteAtExit(Path path) {
    if (!hookAdded) {
      Runtime.getRuntime().addShutdownHook(new Thread(TempDirs::deleteAll, "temp-dirs-cleanup"));
      hookAdded = true;
    }
    AT_EXIT.add(path);
    return path;
  }

  /** Deletes a file or a directory tree; best effort, never throws (what is left is reported on stderr). */
  public static void deleteRecursively(Path path) {
    if (path == null || !Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // Files vanishing during the walk (a process still shutting down): retried below.
    }
    if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> walk = Files.walk(path)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | UncheckedIOException e) {
        System.err.println("cannot delete " + path + ": " + e);
      }
    }
  }

  /**
   * Copies a temporary directory's files as they are now to {@code under/<label>-<time>} and prints where: a failed
   * run's logs must outlive the directory, which goes at JVM exit. Best effort; never throws.
   */
  public static Path keepCopy(Path directory, Path under, String label) {
    Path kept = under.resolve(label.replaceAll("[^A-Za-z0-9_-]", "_") + "-"
        + java.time.LocalTime.now().toString().replace(':', '-'));
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Path target = kept.resolve(directory.relativize(file));
        Files.createDirectories(target.getParent());
        Files.copy(file, target);
      }
      System.out.println("kept a copy of " + directory + " in " + kept.toAbsolutePath());
    } catch (IOException | UncheckedIOException e) {
      System.out.println("could not keep " + directory + " (" + e + "); it is there until the JVM exits");
    }
    return kept;
  }

  static synchronized void deleteAll() {
    for (Path path : AT_EXIT) {
      deleteRecursively(path);
    }
    AT_EXIT.clear();
  }
}
