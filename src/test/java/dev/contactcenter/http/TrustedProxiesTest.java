package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.TestApp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("TRUSTED_PROXIES: the token rate limit counts the real client, X-Forwarded-For only from a trusted peer")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TrustedProxiesTest {

  private static int token(ApiClient api, String forwardedFor) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.base() + "/api/v2/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("username=nobody&password=wrong-password"));
    if (forwardedFor != null) {
      request.header("X-Forwarded-For", forwardedFor);
    }
    return api.send(request).status();
  }

  private static TestApp start(String trusted) throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("TOKEN_RATE_LIMIT", "2");
    env.put("TRUSTED_PROXIES", trusted);
    return TestApp.start(env);
  }

  @Test
  @DisplayName("behind a trusted proxy each client has its own budget; hops a client prepends change nothing")
  void trustedPeer() throws Exception {
    try (TestApp app = start("127.0.0.0/8, ::1/128")) {
      ApiClient api = app.client();
      assertThat(token(api, "198.51.100.1")).isEqualTo(401);
      assertThat(token(api, "198.51.100.1")).isEqualTo(401);
      assertThat(token(api, "198.51.100.1")).isEqualTo(429);
      // A forged left-most hop: the proxy appended the real client on the right.
      assertThat(token(api, "203.0.113.9, 198.51.100.1")).isEqualTo(429);
      assertThat(token(api, "198.51.100.2")).isEqualTo(401);
    }
  }

  @Test
  @DisplayName("from a peer that is not a trusted proxy, X-Forwarded-For is ignored")
  void untrustedPeer() throws Exception {
    try (TestApp app = start("10.0.0.0/8")) {
      ApiClient api = app.client();
      assertThat(token(api, "198.51.100.1")).isEqualTo(401);
      assertThat(token(api, "198.51.100.2")).isEqualTo(401);
      assertThat(token(api, "198.51.100.3")).isEqualTo(429);
    }
  }
}
