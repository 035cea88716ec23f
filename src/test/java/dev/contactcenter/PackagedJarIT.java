package dev.contactcenter;

import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.db.PostgresBinaries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Checks the fat jar the package phase built, as a user downloads and runs it. */
@DisplayName("The packaged jar")
class PackagedJarIT {

  private static final Path JAR = Path.of(System.getenv().getOrDefault("PROJECT_DIR", "."))
      .resolve("target/contact-center-api.jar");

  @Test
  @DisplayName("holds the PostgreSQL build of each platform the quick start runs on, and nothing twice")
  void holdsEveryPlatformsPostgres() throws Exception {
    assertThat(JAR).as("run after mvn package").isRegularFile();
    try (JarFile jar = new JarFile(JAR.toFile())) {
      for (String resource : PostgresBinaries.KNOWN) {
        assertThat(jar.getJarEntry(resource)).as(resource).isNotNull();
        assertThat(jar.getJarEntry(resource).getSize()).as(resource + " size").isGreaterThan(10_000_000L);
      }
      assertThat(jar.stream().filter(e -> e.getName().endsWith(".txz")).count())
          .as("no other PostgreSQL build (e.g. the Alpine one)").isEqualTo(PostgresBinaries.KNOWN.size());
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo(Main.class.getName());
    }
    System.out.printf("packaged jar: %,d bytes%n", Files.size(JAR));
  }

  @Test
  @DisplayName("on a platform without a PostgreSQL build, the jar stops with one line naming it and DATABASE_URL")
  void unsupportedPlatformIsOneLine() throws Exception {
    Path dataDir = TempDirs.create("cc-jar-it");
    Path err = dataDir.resolve("stderr.txt");
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dos.name=FreeBSD", "-jar", JAR.toAbsolutePath().toString())
        .directory(dataDir.toFile())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(err.toFile());
    builder.environment().put("HTTP_PORT", "0");
    builder.environment().put("DATA_DIR", dataDir.resolve("data").toString());
    builder.environment().remove("DATABASE_URL");
    Process process = builder.start();
    try {
      assertThat(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("exits by itself").isTrue();
      assertThat(process.exitValue()).isEqualTo(1);
      assertThat(Files.readAllLines(err)).singleElement().asString()
          .startsWith("serve failed: no embedded PostgreSQL for FreeBSD ")
          .contains("packaged: linux-x86_64, linux-arm_64, darwin-x86_64, darwin-arm_64, windows-x86_64")
          .endsWith("set DATABASE_URL to use your own PostgreSQL 14+");
    } finally {
      process.destroyForcibly();
    }
  }
}
