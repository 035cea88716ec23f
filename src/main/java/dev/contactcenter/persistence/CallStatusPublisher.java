package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ALL;
import static dev.contactcenter.bus.EventBusAddresses.callStatusOf;

import dev.contactcenter.bus.CallStatusChanged;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/** Publishes a call's accepted transition on {@code calls.status.all} and on its owner's address. */
final class CallStatusPublisher {

  private final EventBus bus;

  CallStatusPublisher(EventBus bus) {
    this.bus = bus;
  }

  void publish(JsonObject call, String previous, String at) {
    JsonObject changed = CallStatusChanged.of(call, previous, at);
    bus.publish(CALL_STATUS_ALL, changed);
    bus.publish(callStatusOf(call.getString("owner")), changed);
  }
}
