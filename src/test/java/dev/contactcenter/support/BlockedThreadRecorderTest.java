package dev.contactcenter.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("The blocked event-loop detector the other tests rely on")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BlockedThreadRecorderTest {

  @Test
  @DisplayName("catches a blocking call on an event loop, with the tests' Vert.x options")
  void catchesABlockingCall() throws Exception {
    String file = System.getProperty("vertx.parameter.filename");
    Vertx vertx = Vertx.vertx(new VertxOptions(new JsonObject(Files.readString(Path.of(file)))));
    try {
      int mark = BlockedThreadRecorder.count();
      vertx.runOnContext(v -> {
        try {
          Thread.sleep(700);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (BlockedThreadRecorder.count() == mark && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(BlockedThreadRecorder.count()).isGreaterThan(mark);
      assertThatThrownBy(() -> BlockedThreadRecorder.assertNoneSince(mark))
          .isInstanceOf(AssertionError.class).hasMessageContaining("Thread.sleep");
    } finally {
      vertx.close().await();
    }
  }
}
