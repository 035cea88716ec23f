package dev.contactcenter.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Pacer: even spacing under the rate, the concurrency bound")
class PacerTest {

  private static final long MS = 1_000_000;

  @Test
  @DisplayName("without limits every start is allowed at once")
  void unlimited() {
    Pacer pacer = new Pacer(DispatchLimits.NONE);
    for (int i = 0; i < 1000; i++) {
      assertThat(pacer.canStart(0)).isTrue();
      pacer.reserve(1);
      pacer.sent(0);
    }
    assertThat(pacer.rateLimited()).isFalse();
  }

  @Test
  @DisplayName("20 per second: starts 55 ms apart, so any 21 starts span more than 1.1 s")
  void spacing() {
    Pacer pacer = new Pacer(new DispatchLimits(20, 0, 0));
    List<Long> starts = new ArrayList<>();
    long now = 0;
    while (starts.size() < 200) {
      if (pacer.canStart(now)) {
        pacer.reserve(1);
        pacer.sent(now);
        starts.add(now);
      } else {
        assertThat(pacer.waitNanos(now)).isPositive();
      }
      now += MS;
    }
    for (int i = 20; i < starts.size(); i++) {
      assertThat(starts.get(i) - starts.get(i - 20)).isGreaterThanOrEqualTo(1100 * MS);
    }
    // Not slower than needed either: 200 starts take under 200 / 20 * 1.11 s.
    assertThat(starts.get(199)).isLessThan((long) (11_100 * MS));
  }

  @Test
  @DisplayName("an immediate admission holds two spacings: its dial leaves a moment after the decision")
  void immediateHoldsTwoSlots() {
    Pacer pacer = new Pacer(new DispatchLimits(10, 0, 0));
    pacer.admittedNow(0);
    assertThat(pacer.canStart(219 * MS)).isFalse();
    assertThat(pacer.canStart(221 * MS)).isTrue();
  }

  @Test
  @DisplayName("max_concurrent_calls: no start while that many are in progress; an end frees one")
  void concurrency() {
    Pacer pacer = new Pacer(new DispatchLimits(0, 3, 0));
    pacer.reserve(3);
    assertThat(pacer.canStart(0)).isFalse();
    assertThat(pacer.free()).isZero();
    pacer.ended();
    assertThat(pacer.canStart(0)).isTrue();
    assertThat(pacer.free()).isEqualTo(1);
    pacer.resync(5);
    assertThat(pacer.free()).isZero();
    pacer.ended();
    pacer.ended();
    pacer.ended();
    assertThat(pacer.free()).isEqualTo(1);
  }

  @Test
  @DisplayName("a claimed call canceled before its mark is counted down once, whichever of the cancel's status and "
      + "the refused mark comes first")
  void canceledClaimCountsDownOnce() {
    Pacer pacer = new Pacer(new DispatchLimits(0, 3, 0));
    pacer.claimed(List.of("a", "b", "c"));
    assertThat(pacer.free()).isZero();
    // a: the cancel's status change first, then the refused mark.
    pacer.ended("a");
    pacer.refused("a");
    assertThat(pacer.active()).isEqualTo(2);
    // b: the refused mark first, then the cancel's status change.
    pacer.refused("b");
    pacer.ended("b");
    assertThat(pacer.active()).isEqualTo(1);
    // c: marked sent, then it ends: counted down by its end.
    pacer.marked("c");
    pacer.ended("c");
    assertThat(pacer.active()).isZero();
    // Another call in progress is not freed by the late events of a, b or c.
    pacer.claimed(List.of("d"));
    pacer.marked("d");
    pacer.refused("a");
    pacer.refused("b");
    assertThat(pacer.active()).isEqualTo(1);
    assertThat(pacer.free()).isEqualTo(2);
  }

  @Test
  @DisplayName("a claimed call given up unmarked (owner changes) is counted down once")
  void releasedClaimCountsDownOnce() {
    Pacer pacer = new Pacer(new DispatchLimits(0, 2, 0));
    pacer.claimed(List.of("a", "b"));
    pacer.released("a");
    pacer.released("a");
    pacer.refused("a");
    assertThat(pacer.active()).isEqualTo(1);
  }

  @Test
  @DisplayName("limits out of range are refused")
  void limitsChecked() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DispatchLimits(-1, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DispatchLimits(1001, 0, 0))
        .hasMessageContaining("max_calls_per_second");
  }

  @Test
  @DisplayName("the in-flight window of paced dials: a second's worth, at least 2, at most what the timeout allows")
  void inFlightWindow() {
    assertThat(PacedSender.inFlightWindow(20, 10_000)).isEqualTo(20);
    assertThat(PacedSender.inFlightWindow(50, 10_000)).isEqualTo(50);
    assertThat(PacedSender.inFlightWindow(1, 10_000)).isEqualTo(2);
    assertThat(PacedSender.inFlightWindow(1, 500)).as("the timeout bounds it").isEqualTo(1);
    assertThat(PacedSender.inFlightWindow(20, 200)).isEqualTo(4);
    assertThat(PacedSender.inFlightWindow(1000, 30_000)).isEqualTo(100);
  }
}
