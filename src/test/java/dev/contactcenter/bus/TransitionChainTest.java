package dev.contactcenter.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.calls.CallState;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A chain holds only transitions that apply whenever its first one does")
class TransitionChainTest {

  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

  private static TransitionCommand step(CallState to, int second) {
    return TransitionCommand.of("call-1", to, T0.plusSeconds(second), "ari");
  }

  @Test
  @DisplayName("a call's forward steps follow each other; the final one may carry its end details")
  void forwardSteps() {
    List<TransitionCommand> chain = List.of(step(CallState.DIALING, 0).withChannel("c-1"), step(CallState.RINGING, 1),
        step(CallState.ANSWERED, 2));
    assertThat(TransitionChain.canFollow(chain.subList(0, 1), chain.get(1))).isTrue();
    assertThat(TransitionChain.canFollow(chain.subList(0, 2), chain.get(2))).isTrue();
    TransitionCommand end = step(CallState.COMPLETED, 5).withCause(16, "Normal Clearing").withAnsweredAt(T0);
    assertThat(TransitionChain.canFollow(chain, end)).isTrue();
    assertThat(new TransitionChain(List.of(chain.get(0), chain.get(1), chain.get(2), end)).steps()).hasSize(4);
  }

  @Test
  @DisplayName("completed joins only a chain that holds the answer or carries it")
  void completedNeedsTheAnswer() {
    List<TransitionCommand> ringing = List.of(step(CallState.RINGING, 1));
    assertThat(TransitionChain.canFollow(ringing, step(CallState.COMPLETED, 5))).isFalse();
    assertThat(TransitionChain.canFollow(ringing, step(CallState.COMPLETED, 5).withAnsweredAt(T0))).isTrue();
    assertThat(TransitionChain.canFollow(List.of(step(CallState.ANSWERED, 2)), step(CallState.COMPLETED, 5)))
        .isTrue();
  }

  @Test
  @DisplayName("nothing follows a step the state machine does not lead from, a final step, or end details")
  void whatMayNotFollow() {
    // busy is not an outcome of an answered call; nothing follows a final state; no step goes backwards.
    assertThat(TransitionChain.canFollow(List.of(step(CallState.ANSWERED, 2)), step(CallState.BUSY, 3))).isFalse();
    assertThat(TransitionChain.canFollow(List.of(step(CallState.FAILED, 2)), step(CallState.COMPLETED, 3)))
        .isFalse();
    assertThat(TransitionChain.canFollow(List.of(step(CallState.ANSWERED, 2)), step(CallState.RINGING, 3)))
        .isFalse();
    assertThat(TransitionChain.canFollow(List.of(step(CallState.RINGING, 2)), step(CallState.RINGING, 3)))
        .isFalse();
    // End details only on the last step, a channel only on the first.
    assertThat(TransitionChain.canFollow(List.of(step(CallState.RINGING, 1).withAnsweredAt(T0)),
        step(CallState.ANSWERED, 2))).isFalse();
    assertThat(TransitionChain.canFollow(List.of(step(CallState.DIALING, 0)),
        step(CallState.RINGING, 1).withChannel("c-2"))).isFalse();
    // Another call, another writer.
    assertThat(TransitionChain.canFollow(List.of(step(CallState.DIALING, 0)),
        TransitionCommand.of("call-2", CallState.RINGING, T0, "ari"))).isFalse();
    assertThat(TransitionChain.canFollow(List.of(step(CallState.DIALING, 0).ownedBy("a", 3)),
        step(CallState.RINGING, 1).ownedBy("a", 4))).isFalse();
    assertThatThrownBy(() -> new TransitionChain(List.of(step(CallState.RINGING, 1), step(CallState.DIALING, 2))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
