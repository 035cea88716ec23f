package dev.contactcenter.support;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy that holds every new connection for a while before it reaches the target, as a distant or
 * busy Asterisk makes a new owner's event stream open a moment after it took the server over. Bytes then pass both
 * ways untouched; closing one side closes the other. It can also refuse new connections for a while, as a network
 * that stays cut between one node and its target after the target itself is back, or cut every connection, open ones
 * too, as a network fault between two hosts.
 */
public final class SlowConnectProxy implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final NetServer server;
  /** New connections are closed at once until then (System.nanoTime), 0: never. */
  private volatile long refuseUntilNanos;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();

  private SlowConnectProxy(int targetPort, long delayMs) {
    server = vertx.createNetServer().connectHandler(inbound -> {
      if (refuseUntilNanos != 0 && System.nanoTime() - refuseUntilNanos < 0) {
        inbound.close();
        return;
      }
      inbound.pause();
      vertx.setTimer(delayMs, id -> vertx.createNetClient().connect(targetPort, "127.0.0.1")
          .onSuccess(outbound -> {
            open.add(inbound);
            open.add(outbound);
            inbound.closeHandler(v -> open.remove(inbound));
            outbound.closeHandler(v -> open.remove(outbound));
            join(inbound, outbound);
          })
          .onFailure(failure -> inbound.close()));
    });
  }

  /** Listens on a free loopback port; every connection reaches {@code targetPort} after {@code delayMs}. */
  public static SlowConnectProxy start(int targetPort, long delayMs) {
    SlowConnectProxy proxy = new SlowConnectProxy(targetPort, delayMs);
    proxy.server.listen(0, "127.0.0.1").await();
    return proxy;
  }

  private static void join(NetSocket inbound, NetSocket outbound) {
    inbound.pipeTo(outbound);
    outbound.pipeTo(inbound);
    inbound.resume();
  }

  /** Closes every new connection at once for {@code millis} from now; open ones are left alone. */
  public void refuseFor(long millis) {
    refuseUntilNanos = System.nanoTime() + millis * 1_000_000;
  }

  /** Closes every open connection now and every new one for {@code millis}. */
  public void cutFor(long millis) {
    refuseFor(millis);
    open.forEach(NetSocket::close);
  }

  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
