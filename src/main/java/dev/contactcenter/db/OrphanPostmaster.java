package dev.contactcenter.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL left running over our data directory by a service that died without stopping it (kill -9, OOM
 * kill): found through {@code postmaster.pid}, stopped with a fast shutdown (SIGINT: no client is left to wait
 * for) so the next start can use the directory. Blocking.
 */
final class OrphanPostmaster {

  private static final Logger LOG = LoggerFactory.getLogger(OrphanPostmaster.class);
  private static final long STOP_WAIT_SECONDS = 30;

  private OrphanPostmaster() {
  }

  static void stopIfRunning(Path pgData) throws IOException {
    Optional<ProcessHandle> orphan = find(pgData);
    if (orphan.isEmpty()) {
      return;
    }
    ProcessHandle postmaster = orphan.get();
    LOG.warn("A PostgreSQL (pid {}) was left running over {} by a service that did not stop cleanly; stopping it",
        postmaster.pid(), pgData);
    interrupt(postmaster);
    try {
      postmaster.onExit().get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("the PostgreSQL left running over " + pgData + " (pid " + postmaster.pid()
          + ") did not stop within " + STOP_WAIT_SECONDS + " s; stop it by hand", e);
    }
  }

  /** The live postmaster of {@code pgData}, if {@code postmaster.pid} names one. */
  static Optional<ProcessHandle> find(Path pgData) {
    Path pidFile = pgData.resolve("postmaster.pid");
    try {
      if (!Files.isRegularFile(pidFile)) {
        return Optional.empty();
      }
      List<String> lines = Files.readAllLines(pidFile);
      if (lines.size() < 2 || !Path.of(lines.get(1).trim()).toAbsolutePath().normalize()
          .equals(pgData.toAbsolutePath().normalize())) {
        return Optional.empty();
      }
      long pid = Long.parseLong(lines.get(0).trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(true));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** SIGINT is PostgreSQL's fast shutdown; Java only sends SIGTERM (smart shutdown), the fallback. */
  private static void interrupt(ProcessHandle postmaster) {
    try {
      Process kill = new ProcessBuilder("kill", "-INT", Long.toString(postmaster.pid())).redirectErrorStream(true).start();
      if (kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0) {
        return;
      }
    } catch (IOException e) {
      // No kill(1) on this system.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    postmaster.destroy();
  }
}
