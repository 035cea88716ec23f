package dev.contactcenter.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the numbers were measured on. */
public final class Machine {

  private Machine() {
  }

  /**
   * The fields of a /proc stat line (a process's or a thread's) after its command name, which may hold spaces and
   * parentheses: [1] is the parent's pid, [11] and [12] the user and system CPU ticks.
   */
  static String[] statFields(String stat) {
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
  }

  /** User + system CPU ticks (100 a second) of {@link #statFields} of one process or thread. */
  static long cpuTicks(String[] statFields) {
    return Long.parseLong(statFields[11]) + Long.parseLong(statFields[12]);
  }

  /** User + system CPU ticks of the ended children a process has waited for, from its {@link #statFields}. */
  static long reapedChildrenTicks(String[] statFields) {
    return Long.parseLong(statFields[13]) + Long.parseLong(statFields[14]);
  }

  /**
   * CPU time (user + system, seconds) used so far by a process and, with {@code tree}, all its descendants
   * (PostgreSQL's backends, Asterisk's helpers): the live ones, and the ended ones their parent has reaped (a
   * backend whose pooled connection was replaced). Linux /proc, 100 ticks a second; 0 when unknown.
   */
  public static double cpuSeconds(long pid, boolean tree) {
    if (pid <= 0) {
      return 0;
    }
    long ticks = 0;
    java.util.Map<Long, Long> parents = new java.util.HashMap<>();
    java.util.Map<Long, Long> cpu = new java.util.HashMap<>();
    java.io.File[] procs = tree ? new java.io.File("/proc").listFiles((d, n) -> n.chars().allMatch(Character::isDigit))
        : new java.io.File[] {new java.io.File("/proc/" + pid)};
    if (procs == null) {
      return 0;
    }
    for (java.io.File proc : procs) {
      try {
        String[] f = statFields(Files.readString(proc.toPath().resolve("stat")));
        long id = Long.parseLong(proc.getName());
        parents.put(id, Long.parseLong(f[1]));
        cpu.put(id, cpuTicks(f) + (tree ? reapedChildrenTicks(f) : 0));
      } catch (IOException | RuntimeException e) {
        // The process ended meanwhile.
      }
    }
    for (java.util.Map.Entry<Long, Long> e : cpu.entrySet()) {
      long p = e.getKey();
      for (int depth = 0; depth < 8 && p > 1; depth++) {
        if (p == pid) {
          ticks += e.getValue();
          break;
        }
        Long parent = parents.get(p);
        if (parent == null) {
          break;
        }
        p = parent;
      }
    }
    return ticks / 100.0;
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      return "?";
    }
  }

  static String describe() {
    String cpu = "?";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    } catch (IOException e) {
      // Not Linux.
    }
    long memGiB = 0;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          memGiB = Math.round(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0);
        }
      }
    } catch (IOException e) {
      // Not Linux.
    }
    return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + memGiB + " GiB, "
        + System.getProperty("os.name") + " " + System.getProperty("os.version") + ", Java "
        + System.getProperty("java.version");
  }

  static String gitCommit(Path dir) {
    try {
      Process p = new ProcessBuilder("git", "-C", dir.toString(), "rev-parse", "--short", "HEAD")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor();
      // Earlier results under bench/results/ are not a change to what is measured.
      Process dirty = new ProcessBuilder("git", "-C", dir.toString(), "status", "--porcelain", "--untracked-files=no",
          "--", ".", ":!bench/results")
          .redirectErrorStream(true).start();
      boolean changed = !new String(dirty.getInputStream().readAllBytes(), StandardCharsets.UTF_8).isBlank();
      dirty.waitFor();
      return p.exitValue() == 0 ? out + (changed ? " (with local changes)" : "") : "?";
    } catch (IOException | InterruptedException e) {
      return "?";
    }
  }
}
