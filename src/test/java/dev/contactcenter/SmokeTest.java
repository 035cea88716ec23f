package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.BlockedThreadRecorder;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("The service, started as an operator would start it")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SmokeTest {

  @Test
  @DisplayName("serves health, issues a token and places a simulated call that completes")
  void tokenThenCallCompletes() throws Exception {
    try (TestApp app = TestApp.start()) {
      int blocked = BlockedThreadRecorder.count();
      ApiClient api = app.client();
      assertThat(api.get("/health", null).status()).isEqualTo(200);
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);

      ApiClient.Response created = api.post("/api/v2/interaction/+1234567890", token, null);
      assertThat(created.status()).isEqualTo(200);
      String callId = created.json().getString("call_id");
      assertThat(created.json().getString("status")).isEqualTo("dialing");

      JsonObject call = null;
      for (int i = 0; i < 100; i++) {
        call = api.get("/api/v2/calls/" + callId, token).json();
        if ("completed".equals(call.getString("status"))) {
          break;
        }
        Thread.sleep(100);
      }
      assertThat(call.getString("status")).isEqualTo("completed");
      assertThat(call.getInteger("duration")).isBetween(1, 3);
      BlockedThreadRecorder.assertNoneSince(blocked);
    }
  }
}
