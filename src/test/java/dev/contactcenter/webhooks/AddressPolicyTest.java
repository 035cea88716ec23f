package dev.contactcenter.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SSRF address policy: only public addresses, https unless allowed")
class AddressPolicyTest {

  private final AddressPolicy strict = new AddressPolicy(false, false, List.of());

  @ParameterizedTest(name = "{0} is refused")
  @ValueSource(strings = {
      "https://127.0.0.1/", "https://127.1.2.3/", "https://localhost/", "https://LOCALHOST./x",
      "https://0.0.0.0/", "https://[::]/", "https://[::1]/",
      "https://10.1.2.3/", "https://172.16.0.1/", "https://172.31.255.255/", "https://192.168.1.1/",
      "https://100.64.0.1/",
      "https://169.254.1.1/", "https://169.254.169.254/latest/meta-data/", "https://[fe80::1]/",
      "https://[fc00::1]/", "https://[fd00:ec2::254]/",
      "https://224.0.0.1/", "https://239.255.255.250/", "https://[ff02::1]/", "https://255.255.255.255/",
      "https://240.0.0.1/",
      "https://[::ffff:127.0.0.1]/", "https://[::ffff:10.0.0.1]/", "https://[::ffff:169.254.169.254]/",
      "https://[::127.0.0.1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:7f00:1::]/",
      "https://2130706433/", "https://0x7f000001/", "https://017700000001/", "https://127.1/"})
  void internalAddressesRefused(String url) {
    // Odd numeric forms may fail earlier (not a host, does not resolve): what matters is that none passes.
    assertThatThrownBy(() -> strict.check(url)).isInstanceOf(AddressPolicy.Refused.class);
  }

  @Test
  @DisplayName("a DNS name resolving to loopback is refused with the address it resolved to")
  void nameResolvingToLoopback() {
    assertThatThrownBy(() -> strict.check("https://localhost:8443/hook"))
        .isInstanceOf(AddressPolicy.Refused.class)
        .hasMessageContaining("'localhost' resolves to")
        .hasMessageContaining("loopback");
    assertThatThrownBy(() -> strict.check("https://169.254.169.254/")).hasMessageContaining("cloud metadata");
    assertThatThrownBy(() -> strict.check("https://[::ffff:127.0.0.1]/")).hasMessageContaining("loopback");
  }

  @Test
  @DisplayName("public literal addresses pass, and the checked address is the one to connect to")
  void publicAddressesPass() throws Exception {
    AddressPolicy.Target v4 = strict.check("https://93.184.215.14:8443/hook?x=1");
    assertThat(v4.address().getHostAddress()).isEqualTo("93.184.215.14");
    assertThat(v4.port()).isEqualTo(8443);
    assertThat(v4.tls()).isTrue();
    assertThat(v4.requestUri()).isEqualTo("/hook?x=1");
    assertThat(strict.check("https://[2606:4700:4700::1111]/").port()).isEqualTo(443);
    assertThat(strict.check("https://[::ffff:93.184.215.14]/").address().getHostAddress()).isEqualTo("93.184.215.14");
  }

  @Test
  @DisplayName("http is refused unless WEBHOOK_ALLOW_HTTP; other schemes, credentials and fragments always")
  void schemes() throws Exception {
    assertThatThrownBy(() -> strict.check("http://93.184.215.14/")).hasMessageContaining("https");
    assertThat(new AddressPolicy(true, false, List.of()).check("http://93.184.215.14/").tls()).isFalse();
    for (String url : List.of("ftp://93.184.215.14/", "file:///etc/passwd", "gopher://93.184.215.14/",
        "https://user:pw@93.184.215.14/", "https://93.184.215.14/#x", "not a url", "/relative", "")) {
      assertThatThrownBy(() -> new AddressPolicy(true, false, List.of()).check(url))
          .as(url).isInstanceOf(AddressPolicy.Refused.class);
    }
  }

  @Test
  @DisplayName("WEBHOOK_ALLOWED_HOSTS lets named hosts through; WEBHOOK_ALLOW_PRIVATE lets every host through")
  void allowances() throws Exception {
    AddressPolicy allowList = new AddressPolicy(false, false, List.of("127.0.0.1", "localhost"));
    assertThat(allowList.check("https://127.0.0.1:9999/").port()).isEqualTo(9999);
    assertThat(allowList.check("https://localhost/").address().isLoopbackAddress()).isTrue();
    assertThatThrownBy(() -> allowList.check("https://10.0.0.1/")).isInstanceOf(AddressPolicy.Refused.class);
    assertThat(new AddressPolicy(false, true, List.of()).check("https://10.0.0.1/").port()).isEqualTo(443);
  }
}
