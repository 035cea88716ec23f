package dev.contactcenter.dispatch;

import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_MARK_SENT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The paced hand-over on its own: the database's mark and the ARI verticle are stand-in consumers on the bus that
 * record the order of what they are asked, and the ARI side says "left" a while after a call is handed over, as
 * CallOriginator does when the call's slot comes.
 */
@DisplayName("PacedSender: claimed calls marked and handed over one by one, the next only once the previous left")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PacedSenderTest {

  private static final String SERVER = "paced-test";
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  @DisplayName("5 claimed calls: marks in queue order, each after the previous call left; a refused mark is skipped "
      + "and frees its reservation")
  void oneMarkedCallWaitsAtATime() throws Exception {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> allHandled = new CompletableFuture<>();
    vertx.eventBus().<JsonObject>consumer(DISPATCH_MARK_SENT, msg -> {
      String id = msg.body().getString("call_id");
      log.add("mark " + id);
      // c3 was canceled meanwhile: the database refuses its mark.
      msg.reply(new JsonObject().put("sent", !"c3".equals(id)));
    }).completion().await();
    vertx.eventBus().<JsonObject>consumer(EventBusAddresses.ariOriginateOn(SERVER), msg -> {
      String id = msg.body().getString("call_id");
      log.add("handed " + id);
      assertThat(msg.body().getLong("send_at_ms")).isNotNull();
      // The slot comes a little later: the call leaves, then Asterisk answers the originate.
      vertx.setTimer(40, t -> {
        log.add("left " + id);
        vertx.eventBus().send(msg.body().getString("left_address"), new JsonObject().put("call_id", id));
        vertx.setTimer(20, u -> {
          msg.reply(new JsonObject().put("status", "dialing"));
          if ("c5".equals(id)) {
            allHandled.complete(null);
          }
        });
      });
    }).completion().await();

    Pacer pacer = new Pacer(new DispatchLimits(50, 0, 0));
    Context context = vertx.getOrCreateContext();
    CompletableFuture<PacedSender> started = new CompletableFuture<>();
    context.runOnContext(v -> {
      PacedSender sender = new PacedSender(vertx, SERVER, pacer, 50, 10_000,
          new DispatchMetrics(new SimpleMeterRegistry()), () -> 7L, () -> { });
      vertx.eventBus().<JsonObject>consumer(sender.leftAddress(), m -> sender.left(m.body().getString("call_id")))
          .completion().onComplete(r -> {
            List<JsonObject> calls = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
              calls.add(new JsonObject().put("call_id", "c" + i).put("phone_number", "+1555000000" + i)
                  .put("context", "outbound-ivr").put("extension", "s").put("priority", 1).put("timeout", 30));
            }
            pacer.claimed(calls.stream().map(call -> call.getString("call_id")).toList());
            sender.queueAhead(calls);
            started.complete(sender);
          });
    });
    started.get(10, TimeUnit.SECONDS);
    allHandled.get(20, TimeUnit.SECONDS);

    assertThat(log).containsExactly(
        "mark c1", "handed c1", "left c1",
        "mark c2", "handed c2", "left c2",
        "mark c3", "mark c4", "handed c4", "left c4",
        "mark c5", "handed c5", "left c5");
    CompletableFuture<Integer> active = new CompletableFuture<>();
    context.runOnContext(v -> active.complete(pacer.active()));
    // Four dialled calls stay in progress until they end; the refused one no longer counts.
    assertThat(active.get(5, TimeUnit.SECONDS)).isEqualTo(4);
  }
}
