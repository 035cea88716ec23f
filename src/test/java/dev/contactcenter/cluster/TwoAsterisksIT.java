package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.TestAsterisk;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two Asterisk 22 processes from the one test root ({@code ASTERISK_INSTANCE}): each on its own port with its own
 * system name, config and log, and each stopped without touching the other.
 */
@DisplayName("Two Asterisks from one root")
@ExtendWith(TestAsterisk.Provisioned.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TwoAsterisksIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  @DisplayName("both answer ARI on their own port with their own system name; stopping one leaves the other up; "
      + "each dials into its own log")
  void twoInstances() throws Exception {
    try (TestAsterisk a = TestAsterisk.startOrSkip(); TestAsterisk b = TestAsterisk.startOrSkip("b")) {
      assertThat(a.env().get("ARI_HTTP_URL")).isNotEqualTo(b.env().get("ARI_HTTP_URL"));
      assertThat(systemName(a)).isEqualTo("contact-center-test");
      assertThat(systemName(b)).isEqualTo("contact-center-test-b");
      assertThat(a.messagesLog()).isNotEqualTo(b.messagesLog());

      // A channel originated on B runs B's dialplan and is logged by B only ([cluster-callee]: busy at once).
      HttpResponse<String> originated = ari(b, "POST", "/ari/channels?endpoint=Local/15559990001@cluster-callee/n"
          + "&app=two-asterisks&timeout=5");
      assertThat(originated.statusCode()).as(originated.body()).isEqualTo(200);
      assertThat(new JsonObject(originated.body()).getString("id")).startsWith("contact-center-test-b-");
      awaitLogged(b, "dialled 15559990001");
      assertThat(java.nio.file.Files.readString(a.messagesLog())).doesNotContain("dialled 15559990001");

      b.stop();
      assertThat(ari(a, "GET", "/ari/asterisk/info").statusCode()).as("A after B stopped").isEqualTo(200);
      b.start();
      assertThat(systemName(b)).isEqualTo("contact-center-test-b");
      a.stop();
      assertThat(ari(b, "GET", "/ari/asterisk/info").statusCode()).as("B after A stopped").isEqualTo(200);
    }
  }

  /** {@code config.name} of /ari/asterisk/info: the system name of the instance's asterisk.conf. */
  private static String systemName(TestAsterisk asterisk) throws Exception {
    HttpResponse<String> info = ari(asterisk, "GET", "/ari/asterisk/info");
    assertThat(info.statusCode()).as(info.body()).isEqualTo(200);
    return new JsonObject(info.body()).getJsonObject("config").getString("name");
  }

  private static void awaitLogged(TestAsterisk asterisk, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (java.nio.file.Files.exists(asterisk.messagesLog())
          && java.nio.file.Files.readString(asterisk.messagesLog()).contains(text)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("'" + text + "' not in " + asterisk.messagesLog());
  }

  private static HttpResponse<String> ari(TestAsterisk asterisk, String method, String path) throws Exception {
    String credentials = asterisk.env().get("ARI_USERNAME") + ":" + asterisk.env().get("ARI_PASSWORD");
    return HTTP.send(HttpRequest.newBuilder(URI.create(asterisk.env().get("ARI_HTTP_URL") + path))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
            credentials.getBytes(StandardCharsets.UTF_8)))
        .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
