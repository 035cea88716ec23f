package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The balance's rules as plain functions of the loads heard and the time. */
@DisplayName("Ownership balance rules: who yields a free server, who hands one over")
class OwnershipLoadsTest {

  private static final long S = 1_000_000_000L;
  private final OwnershipLoads loads = new OwnershipLoads("a");

  @Test
  @DisplayName("alone, a node yields nothing and hands nothing over, however many servers it owns")
  void alone() {
    assertThat(loads.anotherOwnsFewer(5, 0)).isFalse();
    assertThat(loads.shouldHandOver(5, 10 * S)).isFalse();
    loads.heard("a", 0, true, 0);
    assertThat(loads.anotherOwnsFewer(5, S)).as("its own announcements are not another node").isFalse();
  }

  @Test
  @DisplayName("a standby yields a free server only to a node owning fewer than itself")
  void yieldsToTheLessLoaded() {
    loads.heard("b", 1, true, 0);
    assertThat(loads.anotherOwnsFewer(1, S)).isFalse();
    assertThat(loads.anotherOwnsFewer(2, S)).isTrue();
    assertThat(loads.anotherOwnsFewer(0, S)).isFalse();
  }

  @Test
  @DisplayName("an owner hands over only at a difference of two or more, to a node heard long enough")
  void handsOverAtTwoToASettledNode() {
    loads.heard("b", 0, true, 0);
    assertThat(loads.shouldHandOver(2, OwnershipLoads.SETTLED_NS - 1)).as("b just appeared").isFalse();
    loads.heard("b", 0, true, OwnershipLoads.SETTLED_NS);
    assertThat(loads.shouldHandOver(2, OwnershipLoads.SETTLED_NS)).isTrue();
    assertThat(loads.shouldHandOver(1, OwnershipLoads.SETTLED_NS)).as("2 nodes, 1 server: stays").isFalse();
    loads.heard("b", 1, true, OwnershipLoads.SETTLED_NS + S);
    assertThat(loads.shouldHandOver(2, OwnershipLoads.SETTLED_NS + S)).as("2 and 1: balanced").isFalse();
    assertThat(loads.shouldHandOver(3, OwnershipLoads.SETTLED_NS + S)).isTrue();
  }

  @Test
  @DisplayName("a node gone from the cluster's members, or that said it is stopping, is yielded nothing at once")
  void goneOrLeavingNodesAreForgotten() {
    java.util.Set<String> members = new java.util.HashSet<>(java.util.Set.of("a", "b", "c"));
    OwnershipLoads seen = new OwnershipLoads("a", members::contains);
    seen.heard("b", 0, true, 0);
    seen.heard("c", 1, true, 0);
    assertThat(seen.anotherOwnsFewer(1, S)).as("b owns fewer").isTrue();
    members.remove("b");
    assertThat(seen.anotherOwnsFewer(1, S)).as("b killed: no longer a member, well within its last load's life")
        .isFalse();
    assertThat(seen.anotherOwnsFewer(2, S)).as("c still counts").isTrue();
    seen.forget("c");
    assertThat(seen.anotherOwnsFewer(2, S)).as("c stopping").isFalse();
  }

  @Test
  @DisplayName("a node that cannot own (no database) is neither yielded to nor handed servers")
  void cannotOwn() {
    loads.heard("b", 0, false, 0);
    assertThat(loads.anotherOwnsFewer(3, 5 * S)).isFalse();
    assertThat(loads.shouldHandOver(3, 5 * S)).isFalse();
  }

  @Test
  @DisplayName("a node unheard for three announcements is gone; heard again, it must settle again")
  void silentNodesDropOut() {
    for (long t = 0; t <= 4 * S; t += S) {
      loads.heard("b", 0, true, t);
    }
    assertThat(loads.shouldHandOver(2, 4 * S)).isTrue();
    long gone = 4 * S + OwnershipLoads.LIVE_NS;
    assertThat(loads.anotherOwnsFewer(2, gone)).isFalse();
    assertThat(loads.shouldHandOver(2, gone)).isFalse();
    assertThat(loads.live(gone)).isEmpty();
    loads.heard("b", 0, true, gone + S);
    assertThat(loads.anotherOwnsFewer(2, gone + S)).as("yielding needs no settling").isTrue();
    assertThat(loads.shouldHandOver(2, gone + S)).as("back just now").isFalse();
    assertThat(loads.shouldHandOver(2, gone + S + OwnershipLoads.SETTLED_NS)).isTrue();
  }

  @Test
  @DisplayName("with several nodes the least loaded decides, and the live view lists each node's count")
  void severalNodes() {
    loads.heard("b", 2, true, 0);
    loads.heard("c", 1, true, 0);
    assertThat(loads.live(S)).isEqualTo(Map.of("b", 2, "c", 1));
    assertThat(loads.anotherOwnsFewer(2, S)).isTrue();
    assertThat(loads.shouldHandOver(3, 3 * S)).isTrue();
    assertThat(loads.shouldHandOver(2, 3 * S)).isFalse();
  }

  @Test
  @DisplayName("a yielding standby takes a free server only once it has stayed free for the grace")
  void deferralCountsFromTheFirstFreeSighting() throws Exception {
    boolean[] othersFirst = {true};
    TakeDeferral deferral = new TakeDeferral(() -> othersFirst[0], 200);
    assertThat(deferral.freeForGrace()).as("first seen free").isFalse();
    Thread.sleep(250);
    assertThat(deferral.freeForGrace()).as("free for the whole grace: take it").isTrue();
    deferral.held();
    assertThat(deferral.freeForGrace()).as("held in between: the grace starts again").isFalse();
    deferral.startNow();
    assertThat(deferral.freeForGrace()).as("just handed over here").isFalse();
    othersFirst[0] = false;
    assertThat(deferral.mayTry(null).await()).as("no look needed when nobody comes first").isTrue();
  }
}
