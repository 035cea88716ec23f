package dev.contactcenter.cluster;

import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.AppConfig;
import dev.contactcenter.config.ConfigException;
import dev.contactcenter.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Asterisk servers: ASTERISK_SERVERS (inline or file), or the ARI_* set as the one-server shorthand")
class AsteriskServersTest {

  private static final String TWO = """
      [{"name": "ast-1", "ari_url": "http://10.0.0.21:8088/", "username": "cc", "password": "s1", "weight": 2},
       {"name": "ast-2", "ari_url": "https://10.0.0.22:8089", "username": "cc", "password": "s2",
        "app": "cc-east", "endpoint_template": "PJSIP/{digits}@east"}]""";

  private static List<AsteriskServer> load(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return ConfigLoader.load(env).asteriskServers();
  }

  private static String refused(String... keyValues) {
    try {
      load(keyValues);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).doesNotContain("\n");
      return e.getMessage();
    }
    throw new AssertionError("accepted");
  }

  private static String entry(String members) {
    return "[{\"name\": \"ast-1\", \"ari_url\": \"http://10.0.0.21:8088\", \"username\": \"cc\", \"password\": \"s\""
        + (members.isEmpty() ? "" : ", " + members) + "}]";
  }

  @Test
  @DisplayName("the single ARI_* set is one server named 'default'; no ARI URL and no list is the sandbox (none)")
  void shorthand() {
    assertThat(load("ARI_HTTP_URL", "http://127.0.0.1:8088/", "ARI_USERNAME", "u", "ARI_PASSWORD", "p",
        "ARI_APP", "cc"))
        .containsExactly(new AsteriskServer("default", "http://127.0.0.1:8088", "u", "p", "cc",
            "PJSIP/{number}@trunk", 1));
    assertThat(load()).isEmpty();
  }

  @Test
  @DisplayName("an inline list is read whole; app and endpoint template default to ARI_APP and ARI_ENDPOINT_TEMPLATE")
  void inlineList() {
    assertThat(load("ASTERISK_SERVERS", TWO, "ARI_APP", "cc-main")).containsExactly(
        new AsteriskServer("ast-1", "http://10.0.0.21:8088", "cc", "s1", "cc-main", "PJSIP/{number}@trunk", 2),
        new AsteriskServer("ast-2", "https://10.0.0.22:8089", "cc", "s2", "cc-east", "PJSIP/{digits}@east", 1));
  }

  @Test
  @DisplayName("the same list from ASTERISK_SERVERS_FILE; an unreadable file is named")
  void fromFile() throws Exception {
    Path file = TempDirs.createFile("asterisk-servers", ".json");
    Files.writeString(file, TWO);
    assertThat(load("ASTERISK_SERVERS_FILE", file.toString())).extracting(AsteriskServer::name)
        .containsExactly("ast-1", "ast-2");
    assertThat(refused("ASTERISK_SERVERS_FILE", "/nonexistent/servers.json"))
        .startsWith("ASTERISK_SERVERS_FILE: cannot read /nonexistent/servers.json");
  }

  @Test
  @DisplayName("the example file in conf/ is a valid list")
  void exampleFile() {
    assertThat(load("ASTERISK_SERVERS_FILE", "conf/asterisk-servers.example.json"))
        .extracting(AsteriskServer::name, AsteriskServer::weight)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("ast-1", 2), org.assertj.core.groups.Tuple.tuple("ast-2", 1));
  }

  @Test
  @DisplayName("passwords never appear in the servers' string form (logs)")
  void passwordNotPrinted() {
    assertThat(load("ASTERISK_SERVERS", TWO).toString()).doesNotContain("s1").doesNotContain("s2").contains("ast-1");
  }

  @Test
  @DisplayName("bad lists are refused with one line naming the key, the entry and the problem")
  void refusals() {
    assertThat(refused("ASTERISK_SERVERS", TWO, "ASTERISK_SERVERS_FILE", "x.json"))
        .isEqualTo("ASTERISK_SERVERS: set ASTERISK_SERVERS or ASTERISK_SERVERS_FILE, not both");
    assertThat(refused("ASTERISK_SERVERS", TWO, "ARI_HTTP_URL", "http://127.0.0.1:8088", "ARI_USERNAME", "u",
        "ARI_PASSWORD", "p")).isEqualTo("ASTERISK_SERVERS: set ARI_HTTP_URL (one server) or a server list, not both");
    assertThat(refused("ASTERISK_SERVERS", "{\"name\": \"a\"}")).startsWith("ASTERISK_SERVERS: not a JSON array");
    assertThat(refused("ASTERISK_SERVERS", "[oops")).startsWith("ASTERISK_SERVERS: not a JSON array");
    assertThat(refused("ASTERISK_SERVERS", "[]")).startsWith("ASTERISK_SERVERS: lists no server");
    assertThat(refused("ASTERISK_SERVERS", "[42]")).isEqualTo("ASTERISK_SERVERS: entry 1 is not a JSON object");
    assertThat(refused("ASTERISK_SERVERS", "[{\"ari_url\": \"http://h:1\", \"username\": \"u\", \"password\": \"p\"}]"))
        .isEqualTo("ASTERISK_SERVERS: server 1: 'name' is required");
    assertThat(refused("ASTERISK_SERVERS", entry("").replace("ast-1", "Ast 1")))
        .startsWith("ASTERISK_SERVERS: server 1 ('Ast 1'): name 'Ast 1' is invalid");
    assertThat(refused("ASTERISK_SERVERS", entry("").replace("http://10.0.0.21:8088", "ws://10.0.0.21:8088")))
        .startsWith("ASTERISK_SERVERS: server 1 ('ast-1'): ari_url 'ws://10.0.0.21:8088' is not an http(s) URL");
    assertThat(refused("ASTERISK_SERVERS", entry("").replace("\"password\": \"s\"", "\"password\": \"\"")))
        .isEqualTo("ASTERISK_SERVERS: server 1 ('ast-1'): 'password' must not be empty");
    assertThat(refused("ASTERISK_SERVERS", entry("\"wieght\": 3")))
        .startsWith("ASTERISK_SERVERS: server 1 ('ast-1'): unknown member 'wieght'");
    assertThat(refused("ASTERISK_SERVERS", entry("\"weight\": 0")))
        .isEqualTo("ASTERISK_SERVERS: server 1 ('ast-1'): weight 0 is invalid: a whole number from 1 to 1000");
    assertThat(refused("ASTERISK_SERVERS", entry("\"weight\": 1.5"))).contains("weight 1.5 is invalid");
    assertThat(refused("ASTERISK_SERVERS", entry("\"weight\": \"2\""))).contains("weight 2 is invalid");
    assertThat(refused("ASTERISK_SERVERS", entry("\"endpoint_template\": \"PJSIP/trunk\"")))
        .contains("endpoint_template must contain {number} or {digits}");
    assertThat(refused("ASTERISK_SERVERS", entry("\"app\": \"bad app\""))).contains("app 'bad app' is invalid");
    assertThat(refused("ASTERISK_SERVERS", entry("\"username\": 7"))).contains("'username' must be a string");
    String twice = TWO.replace("ast-2", "ast-1");
    assertThat(refused("ASTERISK_SERVERS", twice))
        .isEqualTo("ASTERISK_SERVERS: server 2 ('ast-1'): the name is used twice; names must be unique");
    String sameStream = TWO.replace("https://10.0.0.22:8089", "http://10.0.0.21:8088").replace("\"app\": \"cc-east\", ", "");
    assertThat(refused("ASTERISK_SERVERS", sameStream)).contains("server 2 ('ast-2'): same ari_url and app");
  }

  @Test
  @DisplayName("a server list is real Asterisks: no sandbox, not beside ARI_SANDBOX=true, banner-ready names")
  void listIsNotTheSandbox() {
    AppConfig config = ConfigLoader.load(Map.of("ASTERISK_SERVERS", TWO));
    assertThat(config.sandboxMode()).isFalse();
    assertThat(config.asteriskServers()).extracting(AsteriskServer::name).containsExactly("ast-1", "ast-2");
    assertThat(refused("ASTERISK_SERVERS", TWO, "ARI_SANDBOX", "true")).startsWith("ARI_SANDBOX: ");
    // With an external database, a list is the Asterisk to use: no "ARI_HTTP_URL not set" refusal.
    assertThat(ConfigLoader.load(Map.of("ASTERISK_SERVERS", TWO, "DATABASE_URL", "postgresql://cc:pw@db:5432/cc",
        "SECRET_KEY", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")).sandboxMode()).isFalse();
  }
}
