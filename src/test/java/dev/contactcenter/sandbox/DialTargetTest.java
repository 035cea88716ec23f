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
    assertThat(target.outcome()).isEqualTo(CalleeScript.REJECTED);
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
    assertThat(target.outcome()).isEqualTo(CalleeScript.CONGESTION);
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
    assertThat(CalleeScript.forNumber("10")).isEqualTo(CalleeScript.ANSWERED);
    assertThat(CalleeScript.forNumber("11")).isEqualTo(CalleeScript.BUSY);
    assertThat(CalleeScript.forNumber("12")).isEqualTo(CalleeScript.NO_ANSWER);
    assertThat(CalleeScript.forNumber("13")).isEqualTo(CalleeScript.CONGESTION);
    assertThat(CalleeScript.forNumber("14")).isEqualTo(CalleeScript.REJECTED);
    assertThat(CalleeScript.forNumber("15")).isEqualTo(CalleeScript.CALLEE_HANGS_UP);
    assertThat(CalleeScript.forNumber("16")).isEqualTo(CalleeScript.UNALLOCATED);
    assertThat(CalleeScript.forNumber("17")).isEqualTo(CalleeScript.ANSWERED);
    assertThat(CalleeScript.forNumber("18")).isEqualTo(CalleeScript.ANSWERED);
    assertThat(CalleeScript.forNumber("19")).isEqualTo(CalleeScript.ANSWERED);
    assertThat(CalleeScript.forNumber("")).isEqualTo(CalleeScript.UNALLOCATED);
    assertThat(DialTarget.parse("PJSIP/trunk").outcome()).isEqualTo(CalleeScript.UNALLOCATED);
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
