package dev.contactcenter.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpResponseExpectation;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
@DisplayName("The ARI sandbox answers and streams events like Asterisk 22")
class SandboxAriServerTest {

  private static final Logger LOG = LoggerFactory.getLogger(SandboxAriServerTest.class);
  private static final String HOST = "127.0.0.1";
  private static final String USER = "ari-user";
  private static final String PASSWORD = "ari-secret";
  private static final String APP = "test";
  private static final Pattern ARI_TIMESTAMP =
      Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}[+-]\\d{4}");
  private static final DateTimeFormatter ARI_FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

  // Ring 40 ms, IVR 500 ms; the digit-5 callee leaves 250 ms after answer (long enough for the
  // test's continue to arrive first), every other callee after 3 s.
  private static final SandboxTiming FAST = new SandboxTiming(40, 500, 5_000, 250, 3_000, 1.0);

  private static final List<String> ANSWERED_THEN_IVR = List.of(
      "Dial[]", "ChannelStateChange[Ringing]", "Dial[RINGING]",
      "ChannelStateChange[Up]", "Dial[ANSWER]", "StasisStart[Up]",
      "StasisEnd", "ChannelDialplan[outbound-ivr/s/1]", "ChannelDialplan[outbound-ivr/s/2]",
      "ChannelDialplan[outbound-ivr/s/3]", "ChannelDialplan[outbound-ivr/s/4]",
      "ChannelDestroyed[16 Normal Clearing]");

  private Vertx vertx;
  private int port;
  // Clients live in fields: Vert.x 5 closes the connections of a client that is garbage collected.
  private WebClient http;
  private WebClient extraHttp;
  private WebSocketClient webSockets;

  @BeforeEach
  void startSandbox(Vertx vertx, VertxTestContext testContext) {
    this.vertx = vertx;
    webSockets = vertx.createWebSocketClient();
    deploy(FAST).onComplete(testContext.succeeding(actualPort -> {
      port = actualPort;
      http = WebClient.create(vertx, new WebClientOptions().setDefaultHost(HOST).setDefaultPort(port));
      testContext.completeNow();
    }));
  }

  @Test
  @DisplayName("Each last digit 0-6 gives the originated channel the event sequence of the test dialplan")
  void eachDigitHasItsSequence(VertxTestContext testContext) {
    Map<Integer, List<String>> expected = new LinkedHashMap<>();
    expected.put(0, ANSWERED_THEN_IVR);
    expected.put(1, List.of("Dial[]", "Dial[BUSY]", "ChannelDestroyed[0 Unknown]"));
    expected.put(2, List.of("Dial[]", "ChannelStateChange[Ringing]", "Dial[RINGING]",
        "ChannelDestroyed[19 User alerting, no answer]"));
    expected.put(3, List.of("Dial[]", "Dial[CONGESTION]", "ChannelDestroyed[0 Unknown]"));
    expected.put(4, List.of("Dial[]", "ChannelHangupRequest[21]", "Dial[NOANSWER]",
        "ChannelDestroyed[21 Call Rejected]"));
    expected.put(5, List.of("Dial[]", "ChannelStateChange[Ringing]", "Dial[RINGING]",
        "ChannelStateChange[Up]", "Dial[ANSWER]", "StasisStart[Up]",
        "StasisEnd", "ChannelDialplan[outbound-ivr/s/1]", "ChannelDialplan[outbound-ivr/s/2]",
        "ChannelDialplan[outbound-ivr/s/3]", "ChannelHangupRequest[16]",
        "ChannelDestroyed[16 Normal Clearing]"));
    expected.put(6, List.of("Dial[]", "ChannelHangupRequest[1]", "Dial[NOANSWER]",
        "ChannelDestroyed[1 Unallocated (unassigned) number]"));

    listen(port, APP).compose(recorder -> {
      recorder.onEvent(subscribeAndContinueOnStasisStart(testContext));
      List<Future<?>> ends = new ArrayList<>();
      expected.keySet().forEach(digit -> {
        String id = "digit-" + digit;
        // timeout=1: the unanswered digit 2 gives up after one second.
        ends.add(originate(id, "Local/155500000" + digit + "@callee/n", "1")
            .expecting(HttpResponseExpectation.SC_OK)
            .compose(response -> recorder.destroyed(id)));
      });
      return Future.all(ends).map(all -> recorder);
    }).onComplete(testContext.succeeding(recorder -> testContext.verify(() -> {
      expected.forEach((digit, sequence) -> assertThat(describe(recorder.events("digit-" + digit)))
          .as("events of the channel for digit %d", digit)
          .containsExactlyElementsOf(sequence));
      // The Local channel's other half is in the same stream; consumers have to filter it out.
      assertThat(describe(recorder.events("digit-1;2"))).containsExactly(
          "ChannelDialplan[callee/1555000001/1]", "ChannelStateChange[Busy]", "ChannelDestroyed[17 User busy]");
      testContext.completeNow();
    })));
  }

  @Test
  @DisplayName("Every request needs the ARI user's credentials, as basic auth or as api_key")
  void requiresCredentials(VertxTestContext testContext) {
    Future<HttpResponse<Buffer>> none = http.get("/ari/asterisk/info").send();
    Future<HttpResponse<Buffer>> wrong = http.get("/ari/asterisk/info").basicAuthentication(USER, "nope").send();
    Future<HttpResponse<Buffer>> basic = authorized(HttpMethod.GET, "/ari/asterisk/info").send();
    Future<HttpResponse<Buffer>> apiKey =
        http.get("/ari/asterisk/info").addQueryParam("api_key", USER + ":" + PASSWORD).send();
    Future<HttpResponse<Buffer>> originate = http.post("/ari/channels")
        .addQueryParam("endpoint", "Local/15550000000@callee/n").addQueryParam("app", APP).send();
    Future<?> socket = webSockets.connect(port, HOST, "/ari/events?app=" + APP);

    Future.join(List.of(none, wrong, basic, apiKey, originate, socket)).onComplete(done -> testContext.verify(() -> {
      assertThat(none.result().statusCode()).isEqualTo(401);
      assertThat(none.result().bodyAsJsonObject().getString("message")).isEqualTo("Authentication required");
      assertThat(none.result().getHeader("WWW-Authenticate")).startsWith("Basic");
      assertThat(wrong.result().statusCode()).isEqualTo(401);
      assertThat(originate.result().statusCode()).isEqualTo(401);
      assertThat(basic.result().statusCode()).isEqualTo(200);
      JsonObject info = basic.result().bodyAsJsonObject();
      assertThat(info.getBoolean("sandbox")).isTrue();
      assertThat(info.getJsonObject("system").getString("version")).isEqualTo("sandbox");
      assertThat(info.getJsonObject("status").getString("startup_time")).matches(ARI_TIMESTAMP);
      assertThat(apiKey.result().statusCode()).isEqualTo(200);
      assertThat(socket.failed()).isTrue();
      assertThat(socket.cause()).isInstanceOfSatisfying(UpgradeRejectedException.class,
          rejected -> assertThat(rejected.getStatus()).isEqualTo(401));
      testContext.completeNow();
    }));
  }

  @Test
  @DisplayName("Originate answers like Asterisk to an unloaded driver, an unregistered app, a missing endpoint and a duplicate id")
  void originateErrors(VertxTestContext testContext) {
    listen(port, APP).compose(recorder -> {
      Future<HttpResponse<Buffer>> unknownTech = originate("iax", "IAX2/15550000000@peer", "30");
      Future<HttpResponse<Buffer>> unknownApp = authorized(HttpMethod.POST, "/ari/channels")
          .addQueryParam("endpoint", "Local/15550000000@callee/n").addQueryParam("app", "nobody").send();
      Future<HttpResponse<Buffer>> noEndpoint =
          authorized(HttpMethod.POST, "/ari/channels").addQueryParam("app", APP).send();
      Future<HttpResponse<Buffer>> duplicate = originate("twice", "Local/15550000002@callee/n", "30")
          .expecting(HttpResponseExpectation.SC_OK)
          .compose(first -> originate("twice", "Local/15550000002@callee/n", "30"));
      return Future.join(List.of(unknownTech, unknownApp, noEndpoint, duplicate))
          .map(all -> List.of(unknownTech.result(), unknownApp.result(), noEndpoint.result(), duplicate.result()));
    }).onComplete(testContext.succeeding(responses -> testContext.verify(() -> {
      assertThat(responses.get(0).statusCode()).isEqualTo(500);
      assertThat(responses.get(0).bodyAsJsonObject()).isEqualTo(new JsonObject().put("error", "Allocation failed"));
      assertThat(responses.get(1).statusCode()).isEqualTo(400);
      assertThat(responses.get(1).bodyAsJsonObject().getString("message"))
          .isEqualTo("Application 'nobody' not registered");
      assertThat(responses.get(2).statusCode()).isEqualTo(400);
      assertThat(responses.get(2).bodyAsJsonObject().getString("message")).isEqualTo("Endpoint must be specified");
      assertThat(responses.get(3).statusCode()).isEqualTo(409);
      assertThat(responses.get(3).bodyAsJsonObject().getString("message"))
          .isEqualTo("Channel with given unique ID already exists");
      testContext.completeNow();
    })));
  }

  @Test
  @DisplayName("The originate response and GET show the channel as Asterisk's channel JSON")
  void channelJson(VertxTestContext testContext) {
    listen(port, APP)
        .compose(recorder -> authorized(HttpMethod.POST, "/ari/channels")
            .addQueryParam("endpoint", "Local/15550000002@callee/n")
            .addQueryParam("app", APP)
            .addQueryParam("channelId", "shape")
            .addQueryParam("callerId", "\"Support\" <+1 555 0100>")
            .send()
            .expecting(HttpResponseExpectation.SC_OK))
        .compose(created -> Future.join(
            Future.succeededFuture(created),
            authorized(HttpMethod.GET, "/ari/channels/shape").send(),
            authorized(HttpMethod.GET, "/ari/channels").send(),
            authorized(HttpMethod.GET, "/ari/channels/unknown").send()))
        .onComplete(testContext.succeeding(all -> testContext.verify(() -> {
          JsonObject created = all.<HttpResponse<Buffer>>resultAt(0).bodyAsJsonObject();
          assertThat(created.getString("id")).isEqualTo("shape");
          assertThat(created.getString("name")).matches("Local/15550000002@callee-[0-9a-f]{8};1");
          assertThat(created.getString("state")).isEqualTo("Down");
          assertThat(created.getJsonObject("caller"))
              .isEqualTo(new JsonObject().put("name", "Support").put("number", "+15550100"));
          assertThat(created.getJsonObject("dialplan").getString("context")).isEqualTo("callee");
          assertThat(created.getJsonObject("dialplan").getString("exten")).isEqualTo("15550000002");
          assertThat(created.getJsonObject("dialplan").getInteger("priority")).isEqualTo(1);
          assertThat(created.getString("creationtime")).matches(ARI_TIMESTAMP);
          assertThat(created.getString("language")).isEqualTo("en");
          JsonObject fetched = all.<HttpResponse<Buffer>>resultAt(1).bodyAsJsonObject();
          assertThat(fetched.getString("name")).isEqualTo(created.getString("name"));
          assertThat(fetched.getString("state")).isEqualTo("Ringing");
          assertThat(all.<HttpResponse<Buffer>>resultAt(2).bodyAsJsonArray().stream()
              .map(channel -> ((JsonObject) channel).getString("id"))).containsExactly("shape");
          HttpResponse<Buffer> unknown = all.resultAt(3);
          assertThat(unknown.statusCode()).isEqualTo(404);
          assertThat(unknown.bodyAsJsonObject().getString("message")).isEqualTo("Channel not found");
          testContext.completeNow();
        })));
  }

  @Test
  @DisplayName("A PJSIP endpoint has no ;2 half and is named after its SIP endpoint")
  void pjsipEndpoint(VertxTestContext testContext) {
    listen(port, APP).compose(recorder -> originate("sip", "PJSIP/+15550000001@trunk", "30")
            .expecting(HttpResponseExpectation.SC_OK)
            .compose(response -> recorder.destroyed("sip").map(events -> recorder)))
        .onComplete(testContext.succeeding(recorder -> testContext.verify(() -> {
          List<JsonObject> events = recorder.events("sip");
          assertThat(describe(events)).containsExactly("Dial[]", "Dial[BUSY]", "ChannelDestroyed[0 Unknown]");
          assertThat(events.get(0).getJsonObject("peer").getString("name")).matches("PJSIP/trunk-[0-9a-f]{8}");
          assertThat(events.get(0).getString("dialstring")).isEqualTo("+15550000001@trunk");
          assertThat(recorder.all()).allSatisfy(event -> assertThat(channelIdOf(event)).isEqualTo("sip"));
          testContext.completeNow();
        })));
  }

  @Test
  @DisplayName("DELETE while ringing publishes cause 32, Dial NOANSWER and ChannelDestroyed cause 16")
  void hangupWhileRinging(VertxTestContext testContext) {
    listen(port, APP).compose(recorder -> {
      recorder.onEvent(event -> {
        if ("ringing".equals(channelIdOf(event)) && "RINGING".equals(event.getString("dialstatus"))) {
          authorized(HttpMethod.DELETE, "/ari/channels/ringing").send()
              .expecting(HttpResponseExpectation.SC_NO_CONTENT)
              .onFailure(testContext::failNow);
        }
      });
      return originate("ringing", "Local/15550000002@callee/n", "30")
          .expecting(HttpResponseExpectation.SC_OK)
          .compose(response -> recorder.destroyed("ringing"))
          .compose(events -> authorized(HttpMethod.DELETE, "/ari/channels/ringing").send()
              .map(again -> Map.entry(events, again)));
    }).onComplete(testContext.succeeding(result -> testContext.verify(() -> {
      assertThat(describe(result.getKey())).containsExactly("Dial[]", "ChannelStateChange[Ringing]",
          "Dial[RINGING]", "ChannelHangupRequest[32 soft]", "Dial[NOANSWER]", "ChannelDestroyed[16 Normal Clearing]");
      assertThat(result.getValue().statusCode()).as("DELETE of a destroyed channel").isEqualTo(404);
      testContext.completeNow();
    })));
  }

  @Test
  @DisplayName("DELETE of a channel in Stasis ends Stasis before the channel is destroyed with the reason's cause")
  void hangupInStasis(VertxTestContext testContext) {
    listen(port, APP).compose(recorder -> {
      recorder.onEvent(event -> {
        if ("StasisStart".equals(event.getString("type"))) {
          authorized(HttpMethod.DELETE, "/ari/channels/" + channelIdOf(event))
              .addQueryParam("reason", "busy").send()
              .expecting(HttpResponseExpectation.SC_NO_CONTENT)
              .onFailure(testContext::failNow);
        }
      });
      return originate("answered", "Local/15550000000@callee/n", "30")
          .expecting(HttpResponseExpectation.SC_OK)
          .compose(response -> recorder.destroyed("answered"));
    }).onComplete(testContext.succeeding(events -> testContext.verify(() -> {
      assertThat(describe(events)).containsExactly("Dial[]", "ChannelStateChange[Ringing]", "Dial[RINGING]",
          "ChannelStateChange[Up]", "Dial[ANSWER]", "StasisStart[Up]", "ChannelHangupRequest[32 soft]",
          "StasisEnd", "ChannelDestroyed[17 User busy]");
      testContext.completeNow();
    })));
  }

  @Test
  @DisplayName("continue is refused with 409 for a channel not in Stasis and 404 for an unknown one")
  void continueOutsideStasis(VertxTestContext testContext) {
    Promise<HttpResponse<Buffer>> whileRinging = Promise.promise();
    listen(port, APP).compose(recorder -> {
      recorder.onEvent(event -> {
        if ("RINGING".equals(event.getString("dialstatus"))) {
          continueToIvr(channelIdOf(event)).onComplete(whileRinging);
        }
      });
      return originate("not-yet", "Local/15550000002@callee/n", "30").expecting(HttpResponseExpectation.SC_OK);
    }).compose(created -> Future.join(whileRinging.future(), continueToIvr("unknown")))
        .onComplete(testContext.succeeding(both -> testContext.verify(() -> {
          HttpResponse<Buffer> conflict = both.resultAt(0);
          assertThat(conflict.statusCode()).isEqualTo(409);
          assertThat(conflict.bodyAsJsonObject().getString("message")).isEqualTo("Channel not in Stasis application");
          assertThat(both.<HttpResponse<Buffer>>resultAt(1).statusCode()).isEqualTo(404);
          testContext.completeNow();
        })));
  }

  @Test
  @DisplayName("Without a subscription the application hears nothing after StasisEnd, yet the IVR still ends the call")
  void continueWithoutSubscription(VertxTestContext testContext) {
    Promise<Void> continued = Promise.promise();
    listen(port, APP).compose(recorder -> {
      recorder.onEvent(event -> {
        if ("StasisStart".equals(event.getString("type"))) {
          continueToIvr(channelIdOf(event)).expecting(HttpResponseExpectation.SC_NO_CONTENT)
              .<Void>mapEmpty().onComplete(continued);
        }
      });
      return originate("unsubscribed", "Local/15550000000@callee/n", "30")
          .expecting(HttpResponseExpectation.SC_OK)
          .compose(created -> continued.future())
          // The IVR takes 500 ms; afterwards the channel must be gone.
          .compose(none -> vertx.timer(FAST.ivrMs() + 300))
          .compose(waited -> authorized(HttpMethod.GET, "/ari/channels/unsubscribed").send())
          .map(response -> Map.entry(recorder.events("unsubscribed"), response.statusCode()));
    }).onComplete(testContext.succeeding(result -> testContext.verify(() -> {
      assertThat(describe(result.getKey())).endsWith("StasisStart[Up]", "StasisEnd");
      assertThat(result.getValue()).as("GET after the IVR hung up").isEqualTo(404);
      testContext.completeNow();
    })));
  }

  @Test
  @DisplayName("The IVR extension hold keeps the call up past the IVR time until the client hangs up")
  void holdKeepsTheCallUp(VertxTestContext testContext) {
    Promise<Void> continued = Promise.promise();
    listen(port, APP).compose(recorder -> {
      recorder.onEvent(event -> {
        if ("StasisStart".equals(event.getString("type"))) {
          subscribe(APP, "channel:held").expecting(HttpResponseExpectation.SC_OK)
              .compose(subscribed -> authorized(HttpMethod.POST, "/ari/channels/held/continue")
                  .addQueryParam("context", "outbound-ivr").addQueryParam("extension", "hold").send())
              .expecting(HttpResponseExpectation.SC_NO_CONTENT)
              .<Void>mapEmpty().onComplete(continued);
        }
      });
      return originate("held", "Local/15550000008@callee/n", "30")
          .expecting(HttpResponseExpectation.SC_OK)
          .compose(created -> continued.future())
          .compose(none -> vertx.timer(FAST.ivrMs() + 300))
          .compose(waited -> authorized(HttpMethod.GET, "/ari/channels/held").send()
              .expecting(HttpResponseExpectation.SC_OK))
          .compose(stillUp -> authorized(HttpMethod.DELETE, "/ari/channels/held").send()
              .expecting(HttpResponseExpectation.SC_NO_CONTENT))
          .compose(deleted -> recorder.destroyed("held"));
    }).onComplete(testContext.succeeding(events -> testContext.verify(() -> {
      assertThat(describe(events)).endsWith("StasisEnd", "ChannelDialplan[outbound-ivr/hold/1]",
          "ChannelDialplan[outbound-ivr/hold/2]", "ChannelDialplan[outbound-ivr/hold/3]",
          "ChannelHangupRequest[32 soft]", "ChannelDestroyed[16 Normal Clearing]");
      testContext.completeNow();
    })));
  }

  @Test
  @DisplayName("Subscribing answers the application JSON, 422 for an unknown channel, 404 for an unknown application")
  void subscriptions(VertxTestContext testContext) {
    listen(port, APP)
        .compose(recorder -> originate("sub", "Local/15550000002@callee/n", "30").expecting(HttpResponseExpectation.SC_OK))
        .compose(created -> Future.join(List.of(
            subscribe(APP, "channel:sub"),
            subscribe(APP, "channel:missing"),
            subscribe("nobody", "channel:sub"),
            subscribe(APP, "bogus:sub"))))
        .onComplete(testContext.succeeding(all -> testContext.verify(() -> {
          HttpResponse<Buffer> ok = all.resultAt(0);
          assertThat(ok.statusCode()).isEqualTo(200);
          assertThat(ok.bodyAsJsonObject().getString("name")).isEqualTo(APP);
          assertThat(ok.bodyAsJsonObject().getJsonArray("channel_ids").stream().toList()).contains("sub");
          HttpResponse<Buffer> missing = all.resultAt(1);
          assertThat(missing.statusCode()).isEqualTo(422);
          assertThat(missing.bodyAsJsonObject().getString("message")).isEqualTo("Event source does not exist");
          assertThat(all.<HttpResponse<Buffer>>resultAt(2).statusCode()).isEqualTo(404);
          assertThat(all.<HttpResponse<Buffer>>resultAt(3).statusCode()).isEqualTo(400);
          testContext.completeNow();
        })));
  }

  @Test
  @DisplayName("An event filter keeps the other types off the socket, disallowed winning, with Asterisk's update rules")
  void eventFilter(VertxTestContext testContext) {
    JsonObject filter = new JsonObject()
        .put("allowed", new JsonArray().add(type("StasisStart")).add(type("ChannelDestroyed")).add(type("Dial")))
        .put("disallowed", new JsonArray().add(type("Dial")));
    listen(port, APP).compose(recorder -> {
      recorder.onEvent(subscribeAndContinueOnStasisStart(testContext));
      return putFilter(APP, filter.toBuffer())
          .compose(set -> originate("filtered", "Local/15550000000@callee/n", "30")
              .expecting(HttpResponseExpectation.SC_OK)
              .compose(created -> recorder.destroyed("filtered"))
              .map(events -> Map.entry(set, events)));
    }).compose(first -> Future.join(List.of(
            putFilter("nobody", filter.toBuffer()),
            putFilter(APP, Buffer.buffer("{\"allowed\":\"Dial\"}")),
            putFilter(APP, Buffer.buffer("{\"allowed\":[{\"name\":\"Dial\"}]}")),
            putFilter(APP, Buffer.buffer("[1]"))))
        .compose(refused -> putFilter(APP, Buffer.buffer("{\"disallowed\":[]}"))
            .compose(kept -> putFilter(APP, Buffer.buffer())
                .compose(cleared -> authorized(HttpMethod.GET, "/ari/applications/" + APP).send())
                .map(got -> List.of(first.getKey(), refused, kept, got, first.getValue())))))
        .onComplete(testContext.succeeding(all -> testContext.verify(() -> {
          HttpResponse<Buffer> set = (HttpResponse<Buffer>) all.get(0);
          assertThat(set.statusCode()).isEqualTo(200);
          assertThat(set.bodyAsJsonObject().getJsonArray("events_allowed")).isEqualTo(new JsonArray()
              .add(type("ChannelDestroyed")).add(type("Dial")).add(type("StasisStart")));
          assertThat(set.bodyAsJsonObject().getJsonArray("events_disallowed")).isEqualTo(
              new JsonArray().add(type("Dial")));
          @SuppressWarnings("unchecked")
          List<JsonObject> events = (List<JsonObject>) all.get(4);
          // The IVR's dialplan steps, StasisEnd and the Dial events are filtered out; the call still ends.
          assertThat(describe(events)).containsExactly("StasisStart[Up]", "ChannelDestroyed[16 Normal Clearing]");
          io.vertx.core.CompositeFuture refused = (io.vertx.core.CompositeFuture) all.get(1);
          assertThat(refused.<HttpResponse<Buffer>>resultAt(0).statusCode()).as("unknown application").isEqualTo(404);
          for (int i = 1; i < 4; i++) {
            assertThat(refused.<HttpResponse<Buffer>>resultAt(i).statusCode()).as("bad body %d", i).isEqualTo(400);
          }
          HttpResponse<Buffer> kept = (HttpResponse<Buffer>) all.get(2);
          assertThat(kept.bodyAsJsonObject().getJsonArray("events_allowed")).as("a list left out is kept").hasSize(3);
          assertThat(kept.bodyAsJsonObject().getJsonArray("events_disallowed")).isEmpty();
          HttpResponse<Buffer> got = (HttpResponse<Buffer>) all.get(3);
          assertThat(got.statusCode()).isEqualTo(200);
          assertThat(got.bodyAsJsonObject().getJsonArray("events_allowed")).as("no body clears both").isEmpty();
          assertThat(got.bodyAsJsonObject().getJsonArray("channel_ids")).isEmpty();
          testContext.completeNow();
        })));
  }

  @Test
  @DisplayName("The socket that connected last for an application takes its event stream; the older gets ApplicationReplaced")
  void newestSocketTakesTheStream(VertxTestContext testContext) {
    listen(port, APP).compose(older -> listen(port, APP).compose(newer ->
            originate("stream", "Local/15550000001@callee/n", "30")
                .expecting(HttpResponseExpectation.SC_OK)
                .compose(response -> newer.destroyed("stream"))
                // Leave time for anything wrongly sent to the older socket to arrive.
                .compose(events -> vertx.timer(200))
                .map(waited -> List.of(older, newer))))
        .onComplete(testContext.succeeding(recorders -> testContext.verify(() -> {
          assertThat(recorders.get(0).all()).as("events on the older socket")
              .extracting(event -> event.getString("type") + " " + event.getString("application"))
              .containsExactly("ApplicationReplaced " + APP);
          assertThat(describe(recorders.get(1).events("stream")))
              .containsExactly("Dial[]", "Dial[BUSY]", "ChannelDestroyed[0 Unknown]");
          testContext.completeNow();
        })));
  }

  @Test
  @DisplayName("Events carry ARI timestamps of the moment they happened, in order, with application and asterisk_id")
  void timestamps(VertxTestContext testContext) {
    listen(port, APP).compose(recorder -> {
      recorder.onEvent(event -> {
        if ("StasisStart".equals(event.getString("type"))) {
          authorized(HttpMethod.DELETE, "/ari/channels/" + channelIdOf(event)).send().onFailure(testContext::failNow);
        }
      });
      return Future.all(
              originate("time-answer", "Local/15550000009@callee/n", "30").expecting(HttpResponseExpectation.SC_OK)
                  .compose(response -> recorder.destroyed("time-answer")),
              originate("time-busy", "Local/15550000001@callee/n", "30").expecting(HttpResponseExpectation.SC_OK)
                  .compose(response -> recorder.destroyed("time-busy")))
          .map(all -> recorder);
    }).onComplete(testContext.succeeding(recorder -> testContext.verify(() -> {
      List<JsonObject> all = recorder.all();
      assertThat(all).isNotEmpty().allSatisfy(event -> {
        assertThat(event.getString("timestamp")).matches(ARI_TIMESTAMP);
        assertThat(event.getString("application")).isEqualTo(APP);
        assertThat(event.getString("asterisk_id")).isEqualTo(SandboxAriServer.ASTERISK_ID);
      });
      List<OffsetDateTime> times = all.stream().map(SandboxAriServerTest::timestampOf).toList();
      for (int i = 1; i < times.size(); i++) {
        assertThat(times.get(i)).as("timestamp of event %d", i).isAfterOrEqualTo(times.get(i - 1));
      }
      List<JsonObject> answered = recorder.events("time-answer");
      OffsetDateTime dialed = timestampOf(answered.get(0));
      OffsetDateTime answer = timestampOf(answered.get(describe(answered).indexOf("Dial[ANSWER]")));
      assertThat(answer).as("answer after the ring time").isAfterOrEqualTo(dialed.plusNanos(FAST.ringMs() * 1_000_000));
      testContext.completeNow();
    })));
  }

  @Test
  @DisplayName("With every duration scaled to 0 each channel still sees its events in order")
  void zeroDurationsKeepOrder(VertxTestContext testContext) {
    Map<Integer, List<String>> expected = Map.of(
        0, List.of("Dial[]", "ChannelStateChange[Ringing]", "Dial[RINGING]", "ChannelStateChange[Up]",
            "Dial[ANSWER]", "StasisStart[Up]", "ChannelHangupRequest[16]", "StasisEnd",
            "ChannelDestroyed[16 Normal Clearing]"),
        2, List.of("Dial[]", "ChannelStateChange[Ringing]", "Dial[RINGING]",
            "ChannelDestroyed[19 User alerting, no answer]"),
        4, List.of("Dial[]", "ChannelHangupRequest[21]", "Dial[NOANSWER]", "ChannelDestroyed[21 Call Rejected]"),
        5, List.of("Dial[]", "ChannelStateChange[Ringing]", "Dial[RINGING]", "ChannelStateChange[Up]",
            "Dial[ANSWER]", "StasisStart[Up]", "ChannelHangupRequest[16]", "StasisEnd",
            "ChannelDestroyed[16 Normal Clearing]"));
    int callsPerDigit = 25;
    deploy(FAST.withScale(0)).compose(instantPort -> listen(instantPort, APP).compose(recorder -> {
      extraHttp = WebClient.create(vertx, new WebClientOptions().setDefaultHost(HOST).setDefaultPort(instantPort));
      List<Future<?>> ends = new ArrayList<>();
      for (int i = 0; i < callsPerDigit; i++) {
        for (int digit : expected.keySet()) {
          String id = "instant-" + digit + "-" + i;
          ends.add(extraHttp.post("/ari/channels")
              .basicAuthentication(USER, PASSWORD)
              .addQueryParam("endpoint", "Local/155500000" + digit + "@callee/n")
              .addQueryParam("app", APP)
              .addQueryParam("channelId", id)
              .send()
              .expecting(HttpResponseExpectation.SC_OK)
              .compose(response -> recorder.destroyed(id)));
        }
      }
      return Future.all(ends).map(all -> recorder);
    })).onComplete(testContext.succeeding(recorder -> testContext.verify(() -> {
      for (int i = 0; i < callsPerDigit; i++) {
        for (Map.Entry<Integer, List<String>> entry : expected.entrySet()) {
          assertThat(describe(recorder.events("instant-" + entry.getKey() + "-" + i)))
              .as("call %d for digit %d", i, entry.getKey())
              .containsExactlyElementsOf(entry.getValue());
        }
      }
      testContext.completeNow();
    })));
  }

  @Test
  @DisplayName("Ten thousand calls can ring at the same time")
  void tenThousandConcurrentCalls(VertxTestContext testContext) {
    int calls = 10_000;
    extraHttp = WebClient.create(vertx, new WebClientOptions().setDefaultHost(HOST).setDefaultPort(port),
        new PoolOptions().setHttp1MaxSize(16));
    long started = System.nanoTime();
    listenWithoutRecording(port, APP).compose(socket -> {
      List<Future<?>> originated = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        // The unanswered callee rings for ten minutes: every call holds a pending timer.
        originated.add(extraHttp.post("/ari/channels")
            .basicAuthentication(USER, PASSWORD)
            .addQueryParam("endpoint", "Local/15550000002@callee/n")
            .addQueryParam("app", APP)
            .addQueryParam("channelId", "load-" + i)
            .addQueryParam("timeout", "600")
            .send()
            .expecting(HttpResponseExpectation.SC_OK));
      }
      return Future.all(originated);
    }).compose(all -> extraHttp.get("/ari/channels").basicAuthentication(USER, PASSWORD).send())
        .onComplete(testContext.succeeding(list -> testContext.verify(() -> {
          assertThat(list.bodyAsJsonArray().size()).isEqualTo(calls);
          LOG.info("{} concurrent sandbox calls originated and listed in {} ms",
              calls, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
          testContext.completeNow();
        })));
  }

  // ---------------------------------------------------------------- helpers

  private Future<Integer> deploy(SandboxTiming timing) {
    SandboxAriServer sandbox = new SandboxAriServer(USER, PASSWORD, timing);
    return vertx.deployVerticle(sandbox).map(id -> sandbox.actualPort());
  }

  private HttpRequest<Buffer> authorized(HttpMethod method, String uri) {
    return http.request(method, uri).basicAuthentication(USER, PASSWORD);
  }

  private Future<HttpResponse<Buffer>> originate(String channelId, String endpoint, String timeoutSeconds) {
    return authorized(HttpMethod.POST, "/ari/channels")
        .addQueryParam("endpoint", endpoint)
        .addQueryParam("app", APP)
        .addQueryParam("channelId", channelId)
        .addQueryParam("timeout", timeoutSeconds)
        .send();
  }

  private Future<HttpResponse<Buffer>> continueToIvr(String channelId) {
    return authorized(HttpMethod.POST, "/ari/channels/" + channelId + "/continue")
        .addQueryParam("context", "outbound-ivr")
        .addQueryParam("extension", "s")
        .addQueryParam("priority", "1")
        .send();
  }

  private Future<HttpResponse<Buffer>> putFilter(String app, Buffer body) {
    return authorized(HttpMethod.PUT, "/ari/applications/" + app + "/eventFilter")
        .putHeader("Content-Type", "application/json").sendBuffer(body);
  }

  private static JsonObject type(String name) {
    return new JsonObject().put("type", name);
  }

  private Future<HttpResponse<Buffer>> subscribe(String app, String eventSource) {
    return authorized(HttpMethod.POST, "/ari/applications/" + app + "/subscription")
        .addQueryParam("eventSource", eventSource)
        .send();
  }

  /** What the service does on StasisStart: subscribe to the channel, then send it to the IVR. */
  private Consumer<JsonObject> subscribeAndContinueOnStasisStart(VertxTestContext testContext) {
    return event -> {
      if (!"StasisStart".equals(event.getString("type"))) {
        return;
      }
      String id = channelIdOf(event);
      subscribe(APP, "channel:" + id).expecting(HttpResponseExpectation.SC_OK)
          .compose(subscribed -> continueToIvr(id).expecting(HttpResponseExpectation.SC_NO_CONTENT))
          .onFailure(testContext::failNow);
    };
  }

  private Future<EventRecorder> listen(int sandboxPort, String app) {
    EventRecorder recorder = new EventRecorder();
    ClientWebSocket socket = webSockets.webSocket();
    socket.textMessageHandler(recorder::accept);
    String credentials = Base64.getEncoder()
        .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    return socket.connect(new WebSocketConnectOptions()
            .setHost(HOST)
            .setPort(sandboxPort)
            .setURI("/ari/events?app=" + app + "&subscribeAll=false")
            .putHeader(HttpHeaders.AUTHORIZATION.toString(), "Basic " + credentials))
        .map(connected -> recorder);
  }

  private Future<?> listenWithoutRecording(int sandboxPort, String app) {
    return webSockets.connect(new WebSocketConnectOptions()
        .setHost(HOST)
        .setPort(sandboxPort)
        .setURI("/ari/events?app=" + app + "&api_key=" + USER + ":" + PASSWORD));
  }

  private static String channelIdOf(JsonObject event) {
    JsonObject channel = event.getJsonObject("channel", event.getJsonObject("peer"));
    return channel == null ? "" : channel.getString("id");
  }

  private static OffsetDateTime timestampOf(JsonObject event) {
    return OffsetDateTime.parse(event.getString("timestamp"), ARI_FORMAT);
  }

  /** One line per event: its type and the detail that tells outcomes apart. */
  private static List<String> describe(List<JsonObject> events) {
    return events.stream().map(SandboxAriServerTest::describe).toList();
  }

  private static String describe(JsonObject event) {
    String type = event.getString("type");
    JsonObject channel = event.getJsonObject("channel", event.getJsonObject("peer"));
    return switch (type) {
      case "Dial" -> "Dial[" + event.getString("dialstatus") + "]";
      case "ChannelStateChange", "StasisStart" -> type + "[" + channel.getString("state") + "]";
      case "ChannelHangupRequest" ->
          type + "[" + event.getInteger("cause") + (event.getBoolean("soft", false) ? " soft" : "") + "]";
      case "ChannelDestroyed" -> type + "[" + event.getInteger("cause") + " " + event.getString("cause_txt") + "]";
      case "ChannelDialplan" -> {
        JsonObject dialplan = channel.getJsonObject("dialplan");
        yield type + "[" + dialplan.getString("context") + "/" + dialplan.getString("exten") + "/"
            + dialplan.getInteger("priority") + "]";
      }
      default -> type;
    };
  }

  /**
   * Collects one WebSocket's events by channel id. The socket's handler and the HTTP callbacks may
   * run on different event loops, hence the locking.
   */
  private static final class EventRecorder {

    private final List<JsonObject> all = new ArrayList<>();
    private final Map<String, List<JsonObject>> byChannel = new HashMap<>();
    private final Map<String, Promise<List<JsonObject>>> destroyed = new HashMap<>();
    private volatile Consumer<JsonObject> reaction = event -> { };

    void onEvent(Consumer<JsonObject> newReaction) {
      reaction = newReaction;
    }

    void accept(String frame) {
      JsonObject event = new JsonObject(frame);
      String id = channelIdOf(event);
      Promise<List<JsonObject>> ended = null;
      synchronized (this) {
        all.add(event);
        byChannel.computeIfAbsent(id, key -> new ArrayList<>()).add(event);
        if ("ChannelDestroyed".equals(event.getString("type"))) {
          ended = promise(id);
        }
      }
      reaction.accept(event);
      if (ended != null) {
        ended.tryComplete(events(id));
      }
    }

    /** Completes with the channel's events once its ChannelDestroyed has arrived (within 10 s). */
    synchronized Future<List<JsonObject>> destroyed(String channelId) {
      return promise(channelId).future().timeout(10, TimeUnit.SECONDS)
          .recover(e -> Future.failedFuture(new AssertionError(
              "no ChannelDestroyed for " + channelId + "; its events: " + describe(events(channelId)), e)));
    }

    synchronized List<JsonObject> events(String channelId) {
      return new ArrayList<>(byChannel.getOrDefault(channelId, List.of()));
    }

    synchronized List<JsonObject> all() {
      return new ArrayList<>(all);
    }

    private Promise<List<JsonObject>> promise(String channelId) {
      return destroyed.computeIfAbsent(channelId, key -> Promise.promise());
    }
  }
}
