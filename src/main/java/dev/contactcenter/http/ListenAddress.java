package dev.contactcenter.http;

import dev.contactcenter.config.StartupProblem;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Says in one line, naming the port and HTTP_PORT, when the HTTP port cannot be had. */
public final class ListenAddress {

  private ListenAddress() {
  }

  /**
   * Fails fast, before the database starts, when something already listens on host:port. Blocking; the real
   * bind can still lose a race, which {@link #explain} covers.
   */
  public static void ensureFree(String host, int port) {
    if (port == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(host, port));
    } catch (BindException e) {
      throw cannotListen(e, host, port);
    } catch (IOException e) {
      // Not a busy port (e.g. an address this machine lacks): the real bind reports it.
    }
  }

  /** The failure of starting the HTTP server, as a one-line StartupProblem when the port was taken. */
  public static Throwable explain(Throwable failure, String host, int port) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BindException bind) {
        return cannotListen(bind, host, port);
      }
    }
    return failure;
  }

  private static StartupProblem cannotListen(BindException e, String host, int port) {
    String reason = String.valueOf(e.getMessage());
    if (!reason.toLowerCase(java.util.Locale.ROOT).contains("in use")) {
      return new StartupProblem("cannot listen on " + host + ":" + port + " (" + reason + "):"
          + " HTTP_HOST must be an address of this machine, e.g. 127.0.0.1 or 0.0.0.0");
    }
    return new StartupProblem("port " + port + " on " + host + " is already in use (another copy of this service?):"
        + " stop what listens there, or choose another port with HTTP_PORT, e.g. HTTP_PORT="
        + (port < 65535 ? port + 1 : 8001));
  }
}
