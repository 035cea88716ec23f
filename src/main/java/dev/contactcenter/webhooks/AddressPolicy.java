package dev.contactcenter.webhooks;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether a webhook URL may be called (SSRF protection): {@code https} only unless http is allowed, and
 * the host must resolve only to public addresses. Refused: loopback, unspecified, private (RFC 1918), carrier-grade
 * NAT, link-local (which holds the 169.254.169.254 cloud metadata service), unique-local IPv6, multicast,
 * broadcast and reserved ranges, in IPv4 and IPv6 form, including IPv4 addresses embedded in IPv6 (mapped,
 * compatible, NAT64, 6to4). Checked when a subscription is made and again before each delivery, which then
 * connects to the address checked (a DNS answer changed in between cannot redirect it).
 *
 * <p>{@link #check} resolves names: call it on a worker thread.
 */
public final class AddressPolicy {

  private static final int MAX_URL_LENGTH = 2048;

  private final boolean allowHttp;
  private final boolean allowPrivate;
  private final List<String> allowedHosts;

  public AddressPolicy(WebhookSettings settings) {
    this(settings.allowHttp(), settings.allowPrivate(), settings.allowedHosts());
  }

  public AddressPolicy(boolean allowHttp, boolean allowPrivate, List<String> allowedHosts) {
    this.allowHttp = allowHttp;
    this.allowPrivate = allowPrivate;
    this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
  }

  /** A URL that passed the policy, with the address to connect to. */
  public record Target(URI uri, String host, int port, boolean tls, InetAddress address) {

    /** Path and query to request. */
    public String requestUri() {
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }
  }

  /** Thrown when a URL is refused; the message says why, for the API client or the delivery log. */
  public static final class Refused extends Exception {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** The URL's syntax only (no resolution): scheme, host, no credentials, no fragment. */
  public URI parse(String url) throws Refused {
    if (url == null || url.isBlank() || url.length() > MAX_URL_LENGTH) {
      throw new Refused("must be an absolute URL of at most " + MAX_URL_LENGTH + " characters");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new Refused("is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !(scheme.equals("http") && allowHttp)) {
      throw new Refused(allowHttp ? "must be an http or https URL" : "must be an https URL");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new Refused("must name a host");
    }
    if (uri.getRawUserInfo() != null) {
      throw new Refused("must not contain credentials");
    }
    if (uri.getRawFragment() != null) {
      throw new Refused("must not contain a fragment");
    }
    return uri;
  }

  /** Parses and resolves the URL; refuses it unless every address it resolves to is allowed. Blocking. */
  public Target check(String url) throws Refused {
    URI uri = parse(url);
    boolean tls = "https".equalsIgnoreCase(uri.getScheme());
    String host = uri.getHost();
    String bareHost = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(bareHost);
    } catch (UnknownHostException e) {
      throw new Refused("host '" + host + "' does not resolve");
    }
    boolean hostAllowed = allowPrivate || allowedHosts.contains(bareHost.toLowerCase(Locale.ROOT));
    if (!hostAllowed) {
      for (InetAddress address : addresses) {
        String why = internalRange(address);
        if (why != null) {
          throw new Refused("host '" + host + "' resolves to " + address.getHostAddress() + " (" + why
              + "); internal addresses are refused");
        }
      }
    }
    return new Target(uri, bareHost, port, tls, addresses[0]);
  }

  /** Why an address is internal, or null for a public one. */
  static String internalRange(InetAddress address) {
    if (address instanceof Inet6Address v6) {
      byte[] b = v6.getAddress();
      InetAddress embedded = embeddedIpv4(b);
      if (embedded != null) {
        String why = internalRange(embedded);
        return why == null ? null : "IPv4 " + embedded.getHostAddress() + " embedded in IPv6: " + why;
      }
      if (v6.isLoopbackAddress()) {
        return "loopback";
      }
      if (v6.isAnyLocalAddress()) {
        return "unspecified";
      }
      if (v6.isMulticastAddress()) {
        return "multicast";
      }
      if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0x80) {
        return "link-local";
      }
      if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0xc0) {
        return "site-local";
      }
      if ((b[0] & 0xfe) == 0xfc) {
        return "unique-local";
      }
      if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8) {
        return "documentation";
      }
      if ((b[0] & 0xff) == 0x01 && (b[1] & 0xff) == 0x00 && isZero(b, 2, 8)) {
        return "discard-only";
      }
      return null;
    }
    byte[] b = address.getAddress();
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    if (a0 == 127) {
      return "loopback";
    }
    if (a0 == 0) {
      return "unspecified";
    }
    if (a0 == 10 || a0 == 172 && a1 >= 16 && a1 <= 31 || a0 == 192 && a1 == 168) {
      return "private";
    }
    if (a0 == 100 && a1 >= 64 && a1 <= 127) {
      return "carrier-grade NAT";
    }
    if (a0 == 169 && a1 == 254) {
      return (b[2] & 0xff) == 169 && (b[3] & 0xff) == 254 ? "cloud metadata" : "link-local";
    }
    if (a0 == 192 && a1 == 0 && (b[2] & 0xff) == 0) {
      return "IETF protocol assignments";
    }
    if (a0 == 198 && (a1 == 18 || a1 == 19)) {
      return "benchmarking";
    }
    if (a0 >= 224 && a0 <= 239) {
      return "multicast";
    }
    if (a0 >= 240) {
      return a0 == 255 && a1 == 255 && (b[2] & 0xff) == 255 && (b[3] & 0xff) == 255 ? "broadcast" : "reserved";
    }
    return null;
  }

  /** The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
  private static InetAddress embeddedIpv4(byte[] b) {
    try {
      boolean mapped = isZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
      boolean compatible = isZero(b, 0, 12) && !(isZero(b, 12, 15) && (b[15] == 0 || b[15] == 1));
      boolean nat64 = (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
          && isZero(b, 4, 12);
      if (mapped || compatible || nat64) {
        return Inet4Address.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
      }
      if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
        return Inet4Address.getByAddress(new byte[] {b[2], b[3], b[4], b[5]});
      }
      return null;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
