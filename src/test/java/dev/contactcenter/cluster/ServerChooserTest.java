package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.cluster.ServerChooser.Candidate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Choosing the Asterisk server of a new call: by weight and active calls, owned servers only")
class ServerChooserTest {

  @Test
  @DisplayName("the least loaded server per unit of weight wins")
  void leastLoadedPerWeight() {
    assertThat(ServerChooser.choose(List.of(
        new Candidate("a", 1, 3, true),
        new Candidate("b", 1, 1, true)))).contains("b");
    // b carries twice a's weight: 5 calls on b (6/2 = 3) still beat 2 on a (3/1 = 3)? Equal: the heavier wins.
    assertThat(ServerChooser.choose(List.of(
        new Candidate("a", 1, 2, true),
        new Candidate("b", 2, 5, true)))).contains("b");
    assertThat(ServerChooser.choose(List.of(
        new Candidate("a", 1, 2, true),
        new Candidate("b", 2, 6, true)))).contains("a");
  }

  @Test
  @DisplayName("a server whose owner cannot reach its Asterisk gets no call while another can; alone, it still does")
  void ariUnreachableOwnerSkippedWhileAnotherCan() {
    List<Candidate> servers = List.of(new Candidate("idle-ari-down", 10, 0, true), new Candidate("busy", 1, 40, true));
    assertThat(ServerChooser.choosePreferring(servers, name -> name.equals("busy"))).contains("busy");
    // None reaches its Asterisk: the rule over the owned ones (that owner refuses the call with its reason).
    assertThat(ServerChooser.choosePreferring(servers, name -> false)).contains("idle-ari-down");
    assertThat(ServerChooser.choosePreferring(List.of(new Candidate("unowned", 1, 0, false)), name -> true)).isEmpty();
  }

  @Test
  @DisplayName("a server whose owner is not connected gets no call, however idle")
  void unownedServerSkipped() {
    assertThat(ServerChooser.choose(List.of(
        new Candidate("idle-but-unowned", 10, 0, false),
        new Candidate("busy", 1, 40, true)))).contains("busy");
  }

  @Test
  @DisplayName("no server with a connected owner: no choice, the call must be refused")
  void nothingToChoose() {
    assertThat(ServerChooser.choose(List.of(new Candidate("a", 1, 0, false)))).isEmpty();
    assertThat(ServerChooser.choose(List.of())).isEmpty();
  }

  @Test
  @DisplayName("equal load and weight: the first name, so every node decides alike")
  void deterministicTies() {
    assertThat(ServerChooser.choose(List.of(
        new Candidate("b", 1, 0, true),
        new Candidate("a", 1, 0, true)))).contains("a");
  }

  @Test
  @DisplayName("placing calls one by one spreads them in proportion to the weights")
  void spreadsByWeight() {
    Map<String, Integer> weights = Map.of("small", 1, "big", 3);
    Map<String, Integer> active = new HashMap<>(Map.of("small", 0, "big", 0));
    for (int call = 0; call < 400; call++) {
      List<Candidate> candidates = new ArrayList<>();
      weights.forEach((name, weight) -> candidates.add(new Candidate(name, weight, active.get(name), true)));
      active.merge(ServerChooser.choose(candidates).orElseThrow(), 1, Integer::sum);
    }
    assertThat(active).containsEntry("small", 100).containsEntry("big", 300);
  }

  @Test
  @DisplayName("a weight below 1 or negative active calls is a programming error")
  void badCandidate() {
    assertThatThrownBy(() -> new Candidate("a", 0, 0, true)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Candidate("a", 1, -1, true)).isInstanceOf(IllegalArgumentException.class);
  }
}
