package dev.contactcenter.bus;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Failure codes of request/reply messages. The code is the HTTP status the API answers with, so the HTTP layer
 * maps a {@link ReplyException} to a response in one place.
 */
public enum BusError {
  INVALID(400),
  NOT_FOUND(404),
  CONFLICT(409),
  UNPROCESSABLE(422),
  UPSTREAM_REFUSED(502),
  UNAVAILABLE(503),
  INTERNAL(500),
  /**
   * A write made under a server's ownership epoch that another node's takeover superseded (SQLSTATE CCF01). Only
   * the ARI side sees it; outside the HTTP range so it is never mistaken for a retryable 503.
   */
  FENCED(1409),
  /**
   * Nothing was done: the server's ownership is moving to another node (a hand-over). The sender may send the same
   * request again at once; {@link OwnerRequest} does, until the new owner answers. Answered as 503 if it reaches
   * the HTTP layer.
   */
  RESEND(1503);

  private final int code;

  BusError(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /**
   * Detail of a 503 whose cause is a busy database pool rather than a database that is down: the HTTP layer answers
   * it with a short Retry-After, and callers that retry on 503 retry it the same way.
   */
  public static final String BUSY_DETAIL = "database busy, retry shortly";

  public static void replyBusy(Message<?> message) {
    UNAVAILABLE.reply(message, BUSY_DETAIL);
  }

  /** True for a failure that means "busy, retry shortly" rather than "down". */
  public static boolean isBusy(Throwable failure) {
    return failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && reply.failureCode() == UNAVAILABLE.code && BUSY_DETAIL.equals(reply.getMessage());
  }

  public void reply(Message<?> message, String detail) {
    message.fail(code, detail);
  }

  public ReplyException exception(String detail) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, detail);
  }

  /** The HTTP status for any failure of an event-bus request (timeouts and missing handlers are 503). */
  public static int httpStatusOf(Throwable failure) {
    if (failure instanceof ReplyException reply) {
      return switch (reply.failureType()) {
        case RECIPIENT_FAILURE -> reply.failureCode() == RESEND.code ? 503
            : reply.failureCode() >= 400 && reply.failureCode() < 600 ? reply.failureCode() : 500;
        case TIMEOUT, NO_HANDLERS -> 503;
        default -> 500;
      };
    }
    return 500;
  }
}
