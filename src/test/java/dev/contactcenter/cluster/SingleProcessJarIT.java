package dev.contactcenter.cluster;

import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.TestApp;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("The packaged jar without CLUSTER_ENABLED loads no Hazelcast class")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SingleProcessJarIT {

  @Test
  @DisplayName("java -jar serves with NODE_NAME in /health while not one com.hazelcast class is loaded")
  void noHazelcastClassLoaded() throws Exception {
    Path jar = Path.of(System.getenv().getOrDefault("PROJECT_DIR", "."), "target", "contact-center-api.jar");
    assertThat(jar).as("the shaded jar (mvn package)").exists();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      assertThat(zip.getEntry("io/vertx/spi/cluster/hazelcast/HazelcastClusterManager.class"))
          .as("cluster mode is in the jar").isNotNull();
      assertThat(zip.getEntry("com/hazelcast/core/Hazelcast.class")).isNotNull();
    }
    Map<String, String> env = TestApp.defaultEnv();
    env.put("NODE_NAME", "solo-1");
    env.put("DATA_DIR", TempDirs.create("cc-jar-solo").toString());
    try (ChildJvm service = ChildJvm.start(List.of("-verbose:class"), List.of("-jar", jar.toString(), "serve"), env)) {
      ClusterModeTest.assertServesAsSolo1(service);
      List<String> output = service.lines();
      assertThat(output).as("-verbose:class is on").anyMatch(line -> line.contains("dev.contactcenter.Application"));
      assertThat(output).noneMatch(line -> line.contains("com.hazelcast") || line.contains("spi.cluster.hazelcast"));
    }
  }
}
