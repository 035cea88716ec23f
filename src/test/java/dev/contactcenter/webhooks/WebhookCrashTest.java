package dev.contactcenter.webhooks;

import dev.contactcenter.support.FreePorts;
import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandardWebhooksVerifier;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("kill -9 of the service while a webhook is in flight: delivered after the restart, same webhook-id")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WebhookCrashTest {

  @Test
  @DisplayName("the service process is killed (SIGKILL) mid-delivery; a restarted service on the same database delivers it")
  void deliveredAfterKill() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("HTTP_PORT", Integer.toString(FreePorts.next()));
    env.put("SANDBOX_TIME_SCALE", "0.05");
    env.put("WEBHOOK_ALLOW_HTTP", "true");
    env.put("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1");
    env.put("WEBHOOK_RETRY_BASE_MS", "200");
    env.put("WEBHOOK_RETRY_MAX_MS", "1000");
    env.put("WEBHOOK_CONNECT_TIMEOUT_MS", "1000");
    env.put("WEBHOOK_RESPONSE_TIMEOUT_MS", "20000");
    env.put("WEBHOOK_POLL_MS", "200");

    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      Path log = TempDirs.createFile("cc-webhook-crash", ".log");
      Process service = startProcess(env, log);
      String secret;
      String callId;
      String user;
      try {
        ApiClient api = new ApiClient("http://127.0.0.1:" + env.get("HTTP_PORT"));
        awaitLive(api, service, log);
        String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
        user = Calls.newUser(api, admin, "crash");
        secret = api.post("/api/v2/webhooks", user, new JsonObject().put("url", receiver.url("/crash"))
            .put("events", new JsonArray().add("busy"))).json().getString("secret");
        // The receiver holds its answer: the delivery is in flight when the service dies.
        receiver.delay(15_000);
        callId = Calls.place(api, user, new JsonObject().put("phone_number", "+15551234561"));
        Calls.eventually(Duration.ofSeconds(20), () -> assertThat(receiver.received("/crash")).hasSize(1));
      } finally {
        service.destroyForcibly();
        assertThat(service.waitFor(20, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(service.exitValue()).as("killed by SIGKILL").isEqualTo(137);
      receiver.delay(0);

      env.put("HTTP_PORT", "0");
      try (TestApp restarted = TestApp.start(env)) {
        ApiClient api = restarted.client();
        String token = api.login("admin", TestApp.ADMIN_PASSWORD);
        Calls.eventually(Duration.ofSeconds(40), () -> assertThat(receiver.received("/crash")).hasSize(2));
        List<WebhookReceiver.Received> got = receiver.received("/crash");
        assertThat(got.get(1).id()).isEqualTo(got.get(0).id());
        assertThat(got.get(1).json().getJsonObject("data").getString("call_id")).isEqualTo(callId);
        assertThat(new StandardWebhooksVerifier(secret).verifies(got.get(1).id(), got.get(1).timestamp(),
            got.get(1).signature(), got.get(1).body())).isTrue();
        Calls.eventually(Duration.ofSeconds(10), () -> {
          JsonObject delivery = api.get("/api/v2/calls/" + callId + "/webhooks", token).json().getJsonArray("items")
              .getJsonObject(0);
          assertThat(delivery.getString("state")).isEqualTo("delivered");
          assertThat(delivery.getInteger("attempts")).isEqualTo(2);
        });
      }
    }
  }

  /** The service as its own JVM, on the test's class path, configured through its environment only. */
  private static Process startProcess(Map<String, String> env, Path log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        "dev.contactcenter.Main", "serve");
    builder.environment().clear();
    builder.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    builder.environment().putAll(env);
    builder.directory(new File(System.getProperty("user.dir")));
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    return builder.start();
  }

  private static void awaitLive(ApiClient api, Process service, Path log) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!service.isAlive()) {
        throw new AssertionError("service exited: " + Files.readString(log));
      }
      try {
        HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create(api.base() + "/health/live")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (live.statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // Not listening yet.
      }
      Thread.sleep(100);
    }
    throw new AssertionError("service did not start: " + Files.readString(log));
  }
}
