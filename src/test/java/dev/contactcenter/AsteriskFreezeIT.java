package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.CallProbe;
import dev.contactcenter.support.CalleeTalk;
import dev.contactcenter.support.RealAsterisk;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Asterisk frozen for seconds (SIGSTOP, then SIGCONT) with calls in flight, as on a host that stalls: its sockets stay
 * open, so nothing looks broken, but requests wait unanswered and every timer that fell due fires on waking.
 */
@DisplayName("A frozen Asterisk, calls in flight")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AsteriskFreezeIT {

  private static final Duration FREEZE = Duration.ofSeconds(6);

  @RegisterExtension
  static final RealAsterisk ASTERISK = new RealAsterisk("cc-freeze");

  @Test
  @DisplayName("answered calls end with Asterisk's own times; a call placed meanwhile fails and its callee is never "
      + "left ringing when Asterisk wakes")
  void frozenWithCallsInFlight() throws Exception {
    Map<String, String> env = ASTERISK.serviceEnv();
    // [cluster-callee] logs "dialled <digits>"; ...9RRTT numbers ring RR s and talk TT s ([lifecycle-callee]).
    env.put("ARI_ENDPOINT_TEMPLATE", "Local/{digits}@cluster-callee/n");
    env.put("DEFAULT_EXTENSION", "hold");
    env.put("ARI_REQUEST_TIMEOUT", "2000");
    Path log = ASTERISK.asterisk().messagesLog();
    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      CallProbe calls = new CallProbe(api, token);
      Map<String, String> talking = new LinkedHashMap<>();
      for (int i = 0; i < 6; i++) {
        // Ring 1 s, talk 3-8 s: the shorter ones fall due while Asterisk is frozen and end when it wakes.
        String number = String.format("+1559%d9010%d", i, 3 + i);
        talking.put(calls.place(number, new JsonObject()), number);
      }
      for (String id : talking.keySet()) {
        calls.awaitStatus(id, "answered", Duration.ofSeconds(20));
      }

      CompletableFuture<Void> frozen = CompletableFuture.runAsync(() -> {
        try {
          ASTERISK.asterisk().freeze(FREEZE);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(300);
      // Rings 10 s: if the originate Asterisk reads on waking were left alone, its callee would ring, then answer.
      String late = "+1559891005";
      long sent = System.nanoTime();
      ApiClient.Response refused = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", late));
      long answeredMs = (System.nanoTime() - sent) / 1_000_000;
      assertThat(refused.status()).as(refused.body()).isEqualTo(503);
      assertThat(answeredMs).as("the API's answer while Asterisk does not answer").isLessThan(5000);
      String lateId = refused.json().getString("call_id");
      frozen.get(30, TimeUnit.SECONDS);

      for (Map.Entry<String, String> call : talking.entrySet()) {
        JsonObject done = calls.awaitFinal(call.getKey(), Duration.ofSeconds(30));
        assertThat(done.getString("status")).as(done.encode()).isEqualTo("completed");
        assertThat(done.getBoolean("end_time_approximate")).as(done.encode()).isFalse();
        String number = call.getValue();
        CalleeTalk.assertRecorded(done, number, number.charAt(number.length() - 1) - '0', List.of(log));
      }

      // Long enough for the late callee to have answered, had it been left ringing.
      Thread.sleep(12_000);
      String digits = late.substring(1);
      String messages = Files.readString(log);
      assertThat(messages).as("the late callee answered").doesNotContain("talk begins " + digits);
      LocalDateTime dialled = CalleeTalk.loggedAt(messages, "dialled " + digits);
      if (dialled != null) {
        LocalDateTime gone = CalleeTalk.loggedAt(messages, "callee gone " + digits);
        assertThat(gone).as("the late callee was dialled on waking and never hung up").isNotNull();
        assertThat(Duration.between(dialled, gone).toMillis()).as("how long the late callee rang")
            .isLessThan(1500);
      }
      System.out.println("AsteriskFreezeIT: the originate sent while frozen was "
          + (dialled == null ? "never dialled" : "dialled on waking, then hung up"));
      JsonObject lateCall = calls.call(lateId);
      assertThat(lateCall.getString("status")).as(lateCall.encode()).isEqualTo("failed");
    }
  }
}
