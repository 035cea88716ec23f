package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.client.ApiClient;
import dev.contactcenter.client.ApiException;
import dev.contactcenter.client.api.AuthApi;
import dev.contactcenter.client.api.CallsApi;
import dev.contactcenter.client.api.HealthApi;
import dev.contactcenter.client.model.CallCreated;
import dev.contactcenter.client.model.CallEvent;
import dev.contactcenter.client.model.CallList;
import dev.contactcenter.client.model.CallOptions;
import dev.contactcenter.client.model.CallState;
import dev.contactcenter.client.model.CallStatus;
import dev.contactcenter.client.model.CreateCallRequest;
import dev.contactcenter.client.model.TokenResponse;
import dev.contactcenter.support.CheckedHttpClient;
import dev.contactcenter.support.TestApp;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A contract-first consumer: the Java client generated from openapi.yaml at build time (openapi-generator, java
 * "native" library; target/generated-test-sources, never committed) drives the whole flow against the running
 * service. Its HTTP client checks every response against the contract as well.
 */
@DisplayName("A client generated from openapi.yaml")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class GeneratedClientTest {

  @Test
  @DisplayName("gets a token, places calls through both endpoints, follows them to completed and lists them")
  void tokenOriginateStatusList() throws Exception {
    try (TestApp app = TestApp.start()) {
      ApiClient client = new ApiClient(CheckedHttpClient.builder(ApiClient.createDefaultHttpClientBuilder()),
          ApiClient.createDefaultObjectMapper(), "http://127.0.0.1:" + app.app().httpPort());

      assertThat(new HealthApi(client).getHealth().getSimulated()).isTrue();

      TokenResponse token = new AuthApi(client).createToken("admin", TestApp.ADMIN_PASSWORD, "password", null, null, null);
      assertThat(token.getExpiresIn()).isPositive();
      client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token.getAccessToken()));
      CallsApi calls = new CallsApi(client);

      CallCreated viaCalls = calls.createCall(new CreateCallRequest().phoneNumber("+1 (234) 567-8900"), null);
      assertThat(viaCalls.getStatus()).isEqualTo(CallState.DIALING);
      assertThat(viaCalls.getPhoneNumber()).isEqualTo("+12345678900");
      CallCreated viaInteraction = calls.createInteraction("+1234567895", null, new CallOptions().timeout(20_000));
      assertThat(viaInteraction.getSuccess()).isTrue();

      CallStatus first = awaitFinal(calls, viaCalls.getCallId());
      assertThat(first.getStatus()).isEqualTo(CallState.COMPLETED);
      assertThat(first.getDuration()).isBetween(1, 3);
      assertThat(first.getAnsweredAt()).isNotNull();
      CallStatus second = awaitFinal(calls, viaInteraction.getCallId());
      assertThat(second.getStatus()).isEqualTo(CallState.COMPLETED);
      assertThat(calls.getCall(viaInteraction.getCallId()).getIsCompleted()).isTrue();

      List<CallState> timeline = calls.listCallEvents(viaCalls.getCallId()).getEvents().stream()
          .map(CallEvent::getToStatus).toList();
      assertThat(timeline).containsSubsequence(CallState.DIALING, CallState.RINGING, CallState.ANSWERED,
          CallState.COMPLETED);

      CallList page = calls.listCalls(CallState.COMPLETED, null, null, null, 1, null, null);
      assertThat(page.getItems()).hasSize(1);
      assertThat(page.getItems().get(0).getCallId()).isEqualTo(viaInteraction.getCallId());
      assertThat(page.getNextCursor()).isNotNull();
      CallList next = calls.listCalls(CallState.COMPLETED, null, null, null, 1, page.getNextCursor(), null);
      assertThat(next.getItems()).extracting(CallStatus::getCallId).containsExactly(viaCalls.getCallId());
      assertThat(next.getNextCursor()).isNull();

      // Error answers are typed too: the contract's documented statuses reach the client as ApiException.
      assertThatThrownBy(() -> calls.getCall(UUID.randomUUID()))
          .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(404));
      assertThatThrownBy(() -> new AuthApi(client).createToken("admin", "a-wrong-password", null, null, null, null))
          .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(401));
    }
  }

  private static CallStatus awaitFinal(CallsApi calls, UUID callId) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    CallStatus call;
    do {
      call = calls.getCallStatus(callId);
      if (Boolean.TRUE.equals(call.getIsCompleted())) {
        return call;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("call " + callId + " still " + call.getStatus());
  }
}
