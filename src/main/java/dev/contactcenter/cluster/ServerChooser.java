package dev.contactcenter.cluster;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Which Asterisk server a new call goes to. The rule: among the servers whose owner is connected, the one whose
 * load per unit of weight would be lowest with this call added, {@code (active + 1) / weight}; ties go to the
 * heavier server, then to the first name. A server whose owner is not connected gets no new call (nobody would
 * follow its events); with none left, the call is refused rather than queued.
 */
public final class ServerChooser {

  /** What the chooser knows of one server at the moment of choosing. */
  public record Candidate(String name, int weight, int activeCalls, boolean ownerConnected) {

    public Candidate {
      if (weight < 1 || activeCalls < 0) {
        throw new IllegalArgumentException("weight >= 1 and activeCalls >= 0");
      }
    }

    double loadWithOneMore() {
      return (activeCalls + 1) / (double) weight;
    }
  }

  private static final Comparator<Candidate> PREFERENCE = Comparator
      .comparingDouble(Candidate::loadWithOneMore)
      .thenComparing(Comparator.comparingInt(Candidate::weight).reversed())
      .thenComparing(Candidate::name);

  private ServerChooser() {
  }

  /** The server for the next call, or empty when no server has a connected owner. */
  public static Optional<String> choose(List<Candidate> servers) {
    return Optional.ofNullable(best(servers, null));
  }

  /**
   * The same rule over the servers whose owner is also connected to its Asterisk; only when none is, over every
   * server with a connected owner (whose owner then answers the call with its own clear refusal, as with one server).
   */
  public static Optional<String> choosePreferring(List<Candidate> servers, Predicate<String> ariConnected) {
    String reachable = best(servers, ariConnected);
    return Optional.ofNullable(reachable != null ? reachable : best(servers, null));
  }

  /** The preferred server with a connected owner (and passing {@code also}, if given), or null. Runs per call. */
  private static String best(List<Candidate> servers, Predicate<String> also) {
    Candidate best = null;
    for (Candidate c : servers) {
      if (c.ownerConnected() && (also == null || also.test(c.name()))
          && (best == null || PREFERENCE.compare(c, best) < 0)) {
        best = c;
      }
    }
    return best == null ? null : best.name();
  }
}
