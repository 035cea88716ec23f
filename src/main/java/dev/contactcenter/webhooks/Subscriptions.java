package dev.contactcenter.webhooks;

import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_USER_SECRET;

import dev.contactcenter.calls.CallState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a subscription may ask for, checked the same way for per-user endpoints and per-call callbacks: statuses a
 * call can move to (never {@code pending}: a call is created in it), the final ones by default, and a URL the
 * {@link AddressPolicy} accepts (resolved on a worker thread).
 */
public final class Subscriptions {

  /** The default events: a call's final statuses. */
  public static final List<String> FINAL_STATUSES =
      List.of("completed", "failed", "busy", "no_answer", "canceled");

  private final Vertx vertx;
  private final AddressPolicy policy;
  private final WebhookSettings settings;

  public Subscriptions(Vertx vertx, WebhookSettings settings) {
    this.vertx = vertx;
    this.policy = new AddressPolicy(settings);
    this.settings = settings;
  }

  /** Thrown (as a failed future) when a field is refused: the field name and why, for a 400. */
  public static final class Invalid extends Exception {
    private final String field;

    public Invalid(String field, String message) {
      super(message, null, false, false);
      this.field = field;
    }

    public String field() {
      return field;
    }
  }

  public int secretOverlapSeconds() {
    return settings.secretOverlapSeconds();
  }

  /** The events as given (duplicates dropped, order kept), the final statuses when absent; fails on unknown ones. */
  public static JsonArray events(JsonArray requested, String field) throws Invalid {
    // Empty as absent: generated clients send an empty list for an optional array they were not given.
    if (requested == null || requested.isEmpty()) {
      return new JsonArray(FINAL_STATUSES);
    }
    Set<String> events = new LinkedHashSet<>();
    for (Object event : requested) {
      if (!(event instanceof String s) || !CallState.isValid(s) || s.equals("pending")) {
        throw new Invalid(field, "'" + event + "' is not a status a call moves to"
            + " (dialing, ringing, answered, completed, failed, busy, no_answer, canceled)");
      }
      events.add(s);
    }
    return new JsonArray(List.copyOf(events));
  }

  /**
   * A call request's idempotency fingerprint including its callback, so that reusing a key with another callback is
   * a different request; unchanged for calls without one.
   */
  public static String fingerprint(String callFingerprint, String callback, JsonArray events) {
    if (callback == null) {
      return callFingerprint;
    }
    String text = callFingerprint + "\n" + callback + "\n" + (events == null ? "" : events.encode());
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The URL if the address policy accepts it (resolving the host off the event loop), else {@link Invalid}. */
  public Future<String> checkUrl(String url, String field) {
    return vertx.executeBlocking(() -> {
      try {
        policy.check(url);
        return url;
      } catch (AddressPolicy.Refused refused) {
        throw new Invalid(field, refused.getMessage());
      }
    }, false);
  }

  /**
   * Checks a per-call callback and makes sure its owner has a signing secret before the call (and so its first
   * delivery) exists.
   */
  public Future<Void> prepareCallback(String owner, String url) {
    return checkUrl(url, "status_callback").compose(ok -> vertx.eventBus()
        .request(WEBHOOKS_USER_SECRET, new JsonObject().put("owner", owner).put("secret", WebhookSignature.newSecret())))
        .mapEmpty();
  }
}
