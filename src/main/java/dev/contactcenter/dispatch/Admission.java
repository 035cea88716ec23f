package dev.contactcenter.dispatch;

import dev.contactcenter.bus.EventBusAddresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * The API's side of admission: a server without limits dials every call at once (no question asked, today's path);
 * a server with limits is asked (its dispatcher, on its owner) whether a new call may be dialled now. No answer
 * means the call is queued: it is stored and the dispatcher takes it when it can.
 */
public final class Admission {

  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(1_000);

  private final EventBus bus;
  private final Function<String, DispatchLimits> limitsOf;
  private final RetryPolicy retryDefaults;

  public Admission(EventBus bus, Function<String, DispatchLimits> limitsOf, RetryPolicy retryDefaults) {
    this.bus = bus;
    this.limitsOf = limitsOf;
    this.retryDefaults = retryDefaults;
  }

  public DispatchLimits limits(String server) {
    return limitsOf.apply(server);
  }

  public RetryPolicy retryDefaults() {
    return retryDefaults;
  }

  /** True: dial now (its slot is reserved); false: store the call queued and {@link #queued(String)}. */
  public Future<Boolean> dialNow(String server) {
    if (!limits(server).limited()) {
      return Future.succeededFuture(true);
    }
    return bus.<JsonObject>request(EventBusAddresses.dispatchAdmitOn(server), new JsonObject(), ASK)
        .map(reply -> reply.body().getBoolean("admit", false))
        .otherwise(false);
  }

  /** Wakes the server's dispatcher after a call was stored queued. */
  public void queued(String server) {
    bus.send(EventBusAddresses.dispatchWakeOn(server), new JsonObject());
  }

  /** The queue time allowed to a call: its own, else the server's default; null for none. */
  public Integer maxQueueSeconds(String server, Integer requested) {
    if (requested != null) {
      return requested;
    }
    int byDefault = limits(server).maxQueueSeconds();
    return byDefault == 0 ? null : byDefault;
  }
}
