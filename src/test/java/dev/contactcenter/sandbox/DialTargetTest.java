package dev.contactcenter.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Endpoints, outcomes, caller ids and timing are read as the sandbox documents")
class DialTargetTest {

  @Test
  @DisplayName("A Local endpoint gives number, context, extension and the Local channel name")
  void localEndpoint() {
    DialTarget target = DialTarget.parse("Local/15550000004@callee/n");

    assertThat(target.isLocal()).isTrue();
    assertThat(target.isKnownTech()).isTrue();
    assertThat(target.number()).isEqualTo("15550000004");
    assertThat(target.outcome()).isEqualTo(CallOutcome.REJECTED);
    assertThat(target.context()).isEqualTo("callee");
    assertThat(target.exten()).isEqualTo("15550000004");
    assertThat(target.resource()).isEqualTo("15550000004@callee/n");
    assertThat(target.channelName(26, 1)).isEqualTo("Local/15550000004@callee-0000001a;1");
    assertThat(target.channelName(26, 2)).isEqualTo("Local/15550000004@callee-0000001a;2");
  }

  @Test
  @DisplayName("A PJSIP endpoint takes the digits before the @ and is named after the SIP endpoint")
  void pjsipEndpoint() {
    DialTarget target = DialTarget.parse("PJSIP/+1 (555) 000-0003@trunk");

    assertThat(target.isLocal()).isFalse();
    assertThat(target.isKnownTech()).isTrue();
    assertThat(target.number()).isEqualTo("15550000003");
    assertThat(target.outcome()).isEqualTo(CallOutcome.CONGESTION);
    assertThat(target.channelName(1, 1)).isEqualTo("PJSIP/trunk-00000001");
  }

  @Test
  @DisplayName("Other technologies are not loaded, an endpoint without a resource is invalid")
  void unknownAndInvalid() {
    assertThat(DialTarget.parse("IAX2/15550000000@peer").isKnownTech()).isFalse();
    assertThat(DialTarget.parse("local/15550000000@callee").isKnownTech()).isTrue();
    assertThatThrownBy(() -> DialTarget.parse("Local")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DialTarget.parse("Local/")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DialTarget.parse("/1555")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("The last digit picks the outcome of the test dialplan; no digit at all is unallocated")
  void outcomeByLastDigit() {
    assertThat(CallOutcome.forNumber("10")).isEqualTo(CallOutcome.ANSWERED);
    assertThat(CallOutcome.forNumber("11")).isEqualTo(CallOutcome.BUSY);
    assertThat(CallOutcome.forNumber("12")).isEqualTo(CallOutcome.NO_ANSWER);
    assertThat(CallOutcome.forNumber("13")).isEqualTo(CallOutcome.CONGESTION);
    assertThat(CallOutcome.forNumber("14")).isEqualTo(CallOutcome.REJECTED);
    assertThat(CallOutcome.forNumber("15")).isEqualTo(CallOutcome.CALLEE_HANGS_UP);
    assertThat(CallOutcome.forNumber("16")).isEqualTo(CallOutcome.UNALLOCATED);
    assertThat(CallOutcome.forNumber("17")).isEqualTo(CallOutcome.ANSWERED);
    assertThat(CallOutcome.forNumber("18")).isEqualTo(CallOutcome.ANSWERED);
    assertThat(CallOutcome.forNumber("19")).isEqualTo(CallOutcome.ANSWERED);
    assertThat(CallOutcome.forNumber("")).isEqualTo(CallOutcome.UNALLOCATED);
    assertThat(DialTarget.parse("PJSIP/trunk").outcome()).isEqualTo(CallOutcome.UNALLOCATED);
  }

  @Test
  @DisplayName("A caller id is split into name and number like Asterisk does")
  void callerIds() {
    assertThat(CallerId.parse("\"Help Desk\" <+1 (555) 010-0000>")).isEqualTo(new CallerId("Help Desk", "+15550100000"));
    assertThat(CallerId.parse("+15550100000")).isEqualTo(new CallerId("", "+15550100000"));
    assertThat(CallerId.parse("Help Desk")).isEqualTo(new CallerId("Help Desk", ""));
    assertThat(CallerId.parse(null)).isEqualTo(CallerId.EMPTY);
  }

  @Test
  @DisplayName("Timing scales every duration, refuses negative ones and follows ARI's originate timeout rules")
  void timing() {
    SandboxTiming tenTimesFaster = SandboxTiming.defaults().withScale(0.1);

    assertThat(tenTimesFaster.ringMs()).isEqualTo(1_000);
    assertThat(tenTimesFaster.scaled(tenTimesFaster.ringMs())).isEqualTo(100);
    assertThat(tenTimesFaster.scaled(tenTimesFaster.calleeStayMs())).isEqualTo(3_000);
    assertThat(SandboxTiming.defaults().withScale(0).scaled(120_000)).isZero();
    assertThatThrownBy(() -> new SandboxTiming(-1, 0, 0, 0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SandboxTiming.defaults().withScale(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Origination.dialTimeoutMs(5)).isEqualTo(5_000);
    assertThat(Origination.dialTimeoutMs(0)).isEqualTo(30_000);
    assertThat(Origination.dialTimeoutMs(-1)).isEqualTo(Origination.NO_TIMEOUT);
  }
}
