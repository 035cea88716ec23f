package dev.contactcenter.dispatch;

import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import io.vertx.core.json.JsonArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Admission control with two real Asterisk 22 servers (two instances from the one test root) in ASTERISK_SERVERS,
 * each with its own {@code max_calls_per_second}: each server's pace is measured from its own Asterisk's channel
 * creations, so a limit kept only for the sum of both would fail here.
 */
@DisplayName("Dispatch over two real Asterisk servers: pacing per server, kill -9 mid-drain")
@ExtendWith(TestAsterisk.Provisioned.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TwoServerDispatchIT {

  private static final AtomicInteger APPS = new AtomicInteger();
  private static final int CPS = 20;
  private static final String SERVER_A = "ast-a";
  private static final String SERVER_B = "ast-b";
  private static final String CALLEE = "Local/{digits}@callee/n";
  private TestAsterisk asteriskA;
  private TestAsterisk asteriskB;

  @BeforeAll
  void startAsterisks() throws Exception {
    asteriskA = TestAsterisk.startOrSkip();
    asteriskB = TestAsterisk.startOrSkip("b");
  }

  @AfterAll
  void stopAsterisks() throws Exception {
    try {
      if (asteriskB != null) {
        asteriskB.close();
      }
    } finally {
      if (asteriskA != null) {
        asteriskA.close();
      }
    }
  }

  /** One service on both servers, each limited to {@link #CPS} calls per second, with an ARI app of its own. */
  private Map<String, String> env(String app) {
    Map<String, String> env = TestApp.defaultEnv();
    env.remove("ARI_SANDBOX");
    env.put("ASTERISK_SERVERS", new JsonArray()
        .add(asteriskA.serverEntry(SERVER_A, app, CALLEE, 1).put("max_calls_per_second", CPS))
        .add(asteriskB.serverEntry(SERVER_B, app, CALLEE, 1).put("max_calls_per_second", CPS)).encode());
    env.put("DEFAULT_CONTEXT", asteriskA.env().get("DEFAULT_CONTEXT"));
    env.put("DISPATCH_POLL_MS", "250");
    return env;
  }

  private static String app() {
    return "cc-dispatch2-" + ProcessHandle.current().pid() + "-" + APPS.incrementAndGet();
  }

  private static AriChannelProbe probe(TestAsterisk asterisk, String app) throws Exception {
    return AriChannelProbe.open(asterisk.env().get("ARI_HTTP_URL"), asterisk.env().get("ARI_USERNAME"),
        asterisk.env().get("ARI_PASSWORD"), "probe-" + app);
  }

  @Test
  @DisplayName("500 calls at once, max_calls_per_second=20 on each of two servers: no second of either Asterisk "
      + "exceeds 20, both used, each call dialled once on its server, all end right, the queue drains")
  void fiveHundredAtOnce() throws Exception {
    String app = app();
    try (AriChannelProbe a = probe(asteriskA, app); AriChannelProbe b = probe(asteriskB, app);
        TestApp service = TestApp.start(env(app))) {
      Map<String, AriChannelProbe> probes = new LinkedHashMap<>();
      probes.put(SERVER_A, a);
      probes.put(SERVER_B, b);
      DispatchDrills.burst(service, probes, 500, CPS, "+1561", "TWO-SERVER-DISPATCH-IT");
    }
  }

  @Test
  @DisplayName("kill -9 of the service dialling on both servers mid-drain: after a restart, 0 lost, 0 dialled twice")
  void killNineMidDrain() throws Exception {
    String app = app();
    try (AriChannelProbe a = probe(asteriskA, app); AriChannelProbe b = probe(asteriskB, app)) {
      DispatchDrills.killNineMidDrain(env(app), List.of(a, b), 200, "+1562", "TWO-SERVER-DISPATCH-IT");
    }
  }
}
