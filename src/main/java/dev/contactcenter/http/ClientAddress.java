package dev.contactcenter.http;

import io.vertx.core.Handler;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The client's address, resolved once per request (root handler) and used by the token rate limit and the access
 * log alike. With {@code TRUSTED_PROXIES}, forwarding headers count only when the peer is one of those proxies, and
 * the client is the right-most {@code X-Forwarded-For} hop that is not a trusted proxy: hops to its left were
 * written by the client itself and prove nothing. (Vert.x 5.0's own forwarded-header parsing takes the left-most
 * hop and has no list of trusted proxies, so it is not used.) Without the list, {@code TRUST_PROXY_HEADERS=true}
 * keeps its meaning: the peer is a proxy that overwrites the header with one address.
 */
final class ClientAddress {

  private static final String KEY = "client.address";

  private ClientAddress() {
  }

  static Handler<RoutingContext> resolver(boolean trustProxyHeaders, List<String> trustedProxies) {
    List<Cidr> trusted = trustedProxies.stream().map(Cidr::parse).toList();
    return rc -> {
      rc.put(KEY, resolve(rc, trustProxyHeaders, trusted));
      rc.next();
    };
  }

  static String of(RoutingContext rc) {
    String resolved = rc.get(KEY);
    return resolved != null ? resolved : peer(rc);
  }

  static String resolve(RoutingContext rc, boolean trustProxyHeaders, List<Cidr> trusted) {
    String peer = peer(rc);
    String forwarded = rc.request().getHeader("X-Forwarded-For");
    if (forwarded == null || forwarded.isBlank()) {
      return peer;
    }
    if (!trusted.isEmpty()) {
      if (!isTrusted(peer, trusted)) {
        return peer;
      }
      String[] hops = forwarded.split(",");
      for (int i = hops.length - 1; i >= 0; i--) {
        String hop = hops[i].trim();
        if (Cidr.literal(hop) == null) {
          return peer;
        }
        if (!isTrusted(hop, trusted)) {
          return hop;
        }
      }
      return peer;
    }
    if (trustProxyHeaders) {
      int comma = forwarded.indexOf(',');
      String first = (comma < 0 ? forwarded : forwarded.substring(0, comma)).trim();
      return Cidr.literal(first) == null ? peer : first;
    }
    return peer;
  }

  private static boolean isTrusted(String address, List<Cidr> trusted) {
    for (Cidr block : trusted) {
      if (block.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private static String peer(RoutingContext rc) {
    SocketAddress remote = rc.request().remoteAddress();
    return remote == null ? "unknown" : remote.hostAddress();
  }
}
