package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ALL;
import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ENDED;
import static dev.contactcenter.bus.EventBusAddresses.callStatusOf;

import dev.contactcenter.bus.CallStatusChanged;
import dev.contactcenter.calls.CallState;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Publishes a call's accepted transition on {@code calls.status.all} and on its owner's address, and a final one
 * also on {@code calls.status.ended} ({@link CallStatusChanged#ended}).
 */
final class CallStatusPublisher {

  private final EventBus bus;

  CallStatusPublisher(EventBus bus) {
    this.bus = bus;
  }

  void publish(JsonObject call, String previous, String at) {
    send(CallStatusChanged.of(call, previous, at));
  }

  /**
   * Publishes the call object itself with {@code previous_status} and {@code at} added: for a call decoded for this
   * transition alone, which nobody changes afterwards (the bus copies it for each consumer; a copy per transition
   * before that was most of the publication's cost).
   */
  void publishAsIs(JsonObject call, String previous, String at) {
    send(CallStatusChanged.completed(call, previous, at));
  }

  private void send(JsonObject changed) {
    bus.publish(CALL_STATUS_ALL, changed);
    bus.publish(callStatusOf(changed.getString("owner")), changed);
    String status = changed.getString("status");
    if (status != null && CallState.isValid(status) && CallState.of(status).isTerminal()) {
      bus.publish(CALL_STATUS_ENDED, CallStatusChanged.ended(changed));
    }
  }
}
