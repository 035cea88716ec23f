package dev.contactcenter.cluster;

import dev.contactcenter.dispatch.DispatchLimits;

/**
 * One Asterisk server the service may place calls on.
 *
 * @param name             stable identifier, recorded on each call ({@code calls.server}) and owned by one node
 * @param ariUrl           its ARI base URL, e.g. {@code http://10.0.0.21:8088}
 * @param username         ARI user
 * @param password         ARI password (never logged: see {@link #toString()})
 * @param app              the Stasis application name the service registers on it
 * @param endpointTemplate dial string with {@code {number}} or {@code {digits}}, e.g. {@code PJSIP/{number}@trunk}
 * @param weight           share of new calls relative to the other servers, 1-1000
 * @param limits           calls per second / concurrent calls its owner admits (none by default)
 */
public record AsteriskServer(String name, String ariUrl, String username, String password, String app,
    String endpointTemplate, int weight, DispatchLimits limits) {

  /** A server without admission limits. */
  public AsteriskServer(String name, String ariUrl, String username, String password, String app,
      String endpointTemplate, int weight) {
    this(name, ariUrl, username, password, app, endpointTemplate, weight, DispatchLimits.NONE);
  }

  /** The server name the single ARI_* set stands for (and that rows written before V6 carry). */
  public static final String DEFAULT_NAME = "default";

  @Override
  public String toString() {
    return "AsteriskServer[" + name + " " + ariUrl + " app=" + app + " weight=" + weight + "]";
  }
}
