package dev.contactcenter.bus;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * A request to a server's owner that rides over a takeover or a hand-over: between the old owner leaving and the new
 * one registering its handler, the address has no handler for a moment, and an owner handing the server over answers
 * {@link BusError#RESEND}. Both mean nobody acted on the message, so sending it again cannot act twice; it is sent
 * again every {@code stepMs} until {@code retryForMs} have passed. Any other failure (timeout, the owner's own
 * refusal) is final: the owner may have acted on it.
 */
public final class OwnerRequest {

  private OwnerRequest() {
  }

  public static <T> Future<Message<T>> request(Vertx vertx, String address, Object body, DeliveryOptions options,
      long retryForMs, long stepMs) {
    Promise<Message<T>> result = Promise.promise();
    attempt(vertx, address, body, options, System.nanoTime() + retryForMs * 1_000_000, stepMs, result);
    return result.future();
  }

  private static <T> void attempt(Vertx vertx, String address, Object body, DeliveryOptions options, long deadline,
      long stepMs, Promise<Message<T>> result) {
    vertx.eventBus().<T>request(address, body, options).onComplete(done -> {
      if (done.succeeded()) {
        result.complete(done.result());
      } else if (notActedOn(done.cause()) && System.nanoTime() + stepMs * 1_000_000 < deadline) {
        vertx.setTimer(stepMs, id -> attempt(vertx, address, body, options, deadline, stepMs, result));
      } else {
        result.fail(done.cause());
      }
    });
  }

  /** Whether the failure proves nobody acted on the request: no handler, or the owner's {@link BusError#RESEND}. */
  public static boolean notActedOn(Throwable failure) {
    return failure instanceof ReplyException reply && (reply.failureType() == ReplyFailure.NO_HANDLERS
        || reply.failureType() == ReplyFailure.RECIPIENT_FAILURE && reply.failureCode() == BusError.RESEND.code());
  }
}
