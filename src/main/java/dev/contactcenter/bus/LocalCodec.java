package dev.contactcenter.bus;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Passes an immutable message object to a consumer in the same process as it is: no JSON encode, decode or deep copy
 * per message. For the request/reply pairs that never leave the process (the ARI side's transitions to its own
 * node's persistence verticle and the answers), sent with {@link #LOCAL} so that even a clustered event bus keeps
 * them on this node. Publications and anything a browser or another node reads stay plain JSON.
 *
 * <p>A message of this codec that was about to cross the cluster fails loudly instead of being half-serialised.
 */
public final class LocalCodec<T> implements MessageCodec<T, T> {

  /** Delivery for the local-only messages: never offered to another node. */
  public static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  /**
   * Delivery of a JsonObject to a local consumer as the same instance, not a deep copy: for request/reply pairs of
   * one process whose sender never touches the object again (a new call's row and the stored call it gets back).
   */
  public static final DeliveryOptions LOCAL_JSON = new DeliveryOptions().setLocalOnly(true)
      .setCodecName("local:" + JsonObject.class.getName());

  private static final Set<Vertx> REGISTERED = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  private final String name;

  private LocalCodec(Class<T> type) {
    this.name = "local:" + type.getName();
  }

  /** Registers the codecs of the local message types once per Vert.x instance (every verticle may call it). */
  public static void register(Vertx vertx) {
    if (REGISTERED.add(vertx)) {
      vertx.eventBus().registerDefaultCodec(TransitionCommand.class, new LocalCodec<>(TransitionCommand.class));
      vertx.eventBus().registerDefaultCodec(TransitionOutcome.class, new LocalCodec<>(TransitionOutcome.class));
      vertx.eventBus().registerDefaultCodec(TransitionChain.class, new LocalCodec<>(TransitionChain.class));
      vertx.eventBus().registerDefaultCodec(TransitionChain.Outcomes.class,
          new LocalCodec<>(TransitionChain.Outcomes.class));
      vertx.eventBus().registerCodec(new LocalCodec<>(JsonObject.class));
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, T message) {
    throw new IllegalStateException(name + " messages never leave this process; send them local-only");
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    throw new IllegalStateException(name + " messages never leave this process");
  }

  @Override
  public T transform(T message) {
    return message;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
