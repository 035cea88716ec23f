package dev.contactcenter.ari;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels of originates Asterisk did not answer (timed out, connection lost): their calls are recorded failed,
 * yet the request may still be read, late, by an Asterisk that was frozen or overloaded, and ring a callee for a call
 * the API called failed. Each is hung up at once (in case the channel exists) and remembered: when Asterisk dials it
 * after all, its first {@code Dial} event (our app follows what it originates) hangs it up before the callee answers.
 * Confined to the ARI verticle's event loop.
 */
final class WithdrawnOriginates {

  private static final Logger LOG = LoggerFactory.getLogger(WithdrawnOriginates.class);
  /** How long a withdrawn originate is watched for: longer than any stall that still leaves the stream open. */
  static final long KEEP_MS = 3_600_000;
  /** At most this many remembered; the oldest go first. */
  static final int MAX = 10_000;

  private final AriClient ari;
  /** Channel id to when it was withdrawn (System.currentTimeMillis), oldest first. */
  private final LinkedHashMap<String, Long> withdrawn = new LinkedHashMap<>();

  WithdrawnOriginates(AriClient ari) {
    this.ari = ari;
  }

  /** The originate of {@code channelId} got no answer and its call is failed: no callee must ring for it. */
  void withdraw(String channelId) {
    withdrawn.put(channelId, System.currentTimeMillis());
    forgetOld(System.currentTimeMillis());
    ari.hangup(channelId).onFailure(notThereYet -> { });
  }

  /** Asterisk dials a channel this instance does not follow: hung up if its originate was withdrawn. */
  void dialling(String channelId) {
    forgetOld(System.currentTimeMillis());
    if (channelId != null && withdrawn.remove(channelId) != null) {
      LOG.warn("Channel {}: Asterisk dialled it late, after its originate had gone unanswered and the call was "
          + "recorded failed: hanging it up", channelId);
      ari.hangup(channelId).onFailure(e -> {
        if (!(e instanceof AriException refused && refused.status() == 404)) {
          // Still there: its next Dial event tries again.
          withdrawn.put(channelId, System.currentTimeMillis());
          LOG.warn("Channel {}: the late dial could not be hung up yet: {}", channelId, e.getMessage());
        }
      });
    }
  }

  private void forgetOld(long now) {
    Iterator<Map.Entry<String, Long>> oldestFirst = withdrawn.entrySet().iterator();
    while (oldestFirst.hasNext()) {
      Map.Entry<String, Long> oldest = oldestFirst.next();
      if (withdrawn.size() <= MAX && now - oldest.getValue() < KEEP_MS) {
        return;
      }
      oldestFirst.remove();
    }
  }
}
