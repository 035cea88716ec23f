package dev.contactcenter.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A request to a server's owner rides over a takeover's gap, and is never delivered twice")
class OwnerRequestTest {

  private final Vertx vertx = Vertx.vertx();
  private final DeliveryOptions options = new DeliveryOptions().setSendTimeout(2000);

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  @DisplayName("the handler registers 400 ms after the send: delivered once, answered")
  void handlerRegisteringLateIsReached() {
    AtomicInteger received = new AtomicInteger();
    vertx.setTimer(400, id -> vertx.eventBus().<String>consumer("owner.late", msg -> {
      received.incrementAndGet();
      msg.reply("placed");
    }));
    long start = System.nanoTime();
    String answer = OwnerRequest.<String>request(vertx, "owner.late", "call-1", options, 3000, 100).await().body();
    assertThat(answer).isEqualTo("placed");
    assertThat(received).hasValue(1);
    assertThat((System.nanoTime() - start) / 1_000_000).isBetween(350L, 2000L);
  }

  @Test
  @DisplayName("no handler within the bound: fails NO_HANDLERS after about the bound, not at once, not much later")
  void noHandlerFailsAfterTheBound() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> OwnerRequest.request(vertx, "owner.none", "call-2", options, 600, 100).await())
        .isInstanceOfSatisfying(ReplyException.class,
            e -> assertThat(e.failureType()).isEqualTo(ReplyFailure.NO_HANDLERS));
    assertThat((System.nanoTime() - start) / 1_000_000).isBetween(450L, 1500L);
  }

  @Test
  @DisplayName("the owner's own refusal is final: received once, not sent again")
  void ownersRefusalIsNotRetried() {
    AtomicInteger received = new AtomicInteger();
    vertx.eventBus().<String>consumer("owner.refuses", msg -> {
      received.incrementAndGet();
      msg.fail(503, "not reachable");
    }).completion().await();
    assertThatThrownBy(() -> OwnerRequest.request(vertx, "owner.refuses", "call-3", options, 3000, 100).await())
        .isInstanceOfSatisfying(ReplyException.class,
            e -> assertThat(e.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE));
    assertThat(received).hasValue(1);
  }

  @Test
  @DisplayName("an owner handing the server over answers RESEND: sent again until the next owner answers, placed once")
  void resendIsSentAgainToTheNextOwner() {
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger placed = new AtomicInteger();
    var leaving = vertx.eventBus().<String>consumer("owner.moving", msg -> {
      refused.incrementAndGet();
      BusError.RESEND.reply(msg, "handing over");
    });
    leaving.completion().await();
    // The leaving owner refuses for 300 ms, then the next one takes over the address.
    vertx.setTimer(300, id -> leaving.unregister().onComplete(v -> vertx.eventBus().<String>consumer("owner.moving",
        msg -> {
          placed.incrementAndGet();
          msg.reply("placed");
        })));
    String answer = OwnerRequest.<String>request(vertx, "owner.moving", "call-4", options, 3000, 100).await().body();
    assertThat(answer).isEqualTo("placed");
    assertThat(placed).hasValue(1);
    assertThat(refused.get()).isBetween(2, 4);
  }

  @Test
  @DisplayName("RESEND until the bound passes: fails with it, which the API answers as 503, never 500")
  void resendPastTheBoundIsA503() {
    vertx.eventBus().<String>consumer("owner.stuck", msg -> BusError.RESEND.reply(msg, "handing over"))
        .completion().await();
    assertThatThrownBy(() -> OwnerRequest.request(vertx, "owner.stuck", "call-5", options, 500, 100).await())
        .satisfies(e -> assertThat(BusError.httpStatusOf(e)).isEqualTo(503));
  }
}
