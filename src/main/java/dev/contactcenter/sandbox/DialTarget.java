package dev.contactcenter.sandbox;


/**
 * An originate {@code endpoint} taken apart the way Asterisk does: technology before the first
 * {@code /}, the rest is the resource handed to the channel driver.
 *
 * <p>{@code Local/15550000000@callee/n} dials extension 15550000000 in context {@code callee} (the
 * trailing {@code /n} is a Local channel option); {@code PJSIP/+15550000000@trunk} dials that number
 * through the endpoint {@code trunk}. The number is every digit before the {@code @} (or the end).
 *
 * @param tech the channel technology as written in the endpoint
 * @param resource everything after the first {@code /}, which Asterisk reports as the dial string
 * @param number the digits of the dialled number, possibly empty
 */
record DialTarget(String tech, String resource, String number) {

  /** Parses an endpoint; fails with {@link IllegalArgumentException} when there is no tech or resource. */
  static DialTarget parse(String endpoint) {
    int slash = endpoint.indexOf('/');
    if (slash <= 0 || slash == endpoint.length() - 1) {
      throw new IllegalArgumentException("Invalid endpoint specified");
    }
    String tech = endpoint.substring(0, slash);
    String resource = endpoint.substring(slash + 1);
    int at = resource.indexOf('@');
    String dialled = at < 0 ? resource : resource.substring(0, at);
    StringBuilder digits = new StringBuilder();
    for (int i = 0; i < dialled.length(); i++) {
      char c = dialled.charAt(i);
      if (c >= '0' && c <= '9') {
        digits.append(c);
      }
    }
    return new DialTarget(tech, resource, digits.toString());
  }

  /** Asterisk looks technologies up case-insensitively; the sandbox "loads" Local and PJSIP only. */
  boolean isKnownTech() {
    return isLocal() || "PJSIP".equalsIgnoreCase(tech);
  }

  /** Local channels come in two halves; the {@code ;2} half runs the callee's dialplan. */
  boolean isLocal() {
    return "Local".equalsIgnoreCase(tech);
  }

  CalleeScript outcome() {
    return CalleeScript.forNumber(number);
  }

  /** Dialplan context the originated channel reports before it is answered. */
  String context() {
    if (!isLocal()) {
      return "default";
    }
    String target = localTarget();
    int at = target.indexOf('@');
    return at < 0 ? "default" : target.substring(at + 1);
  }

  /** Dialplan extension the originated channel reports before it is answered. */
  String exten() {
    if (!isLocal()) {
      return "s";
    }
    String target = localTarget();
    int at = target.indexOf('@');
    return at < 0 ? target : target.substring(0, at);
  }

  /**
   * The channel name Asterisk would give: {@code Local/exten@context-0000001a;1} or
   * {@code PJSIP/trunk-0000001a}; {@code half} is 1 or 2 and only used for Local channels.
   */
  String channelName(int sequence, int half) {
    String hex = Integer.toHexString(sequence);
    String seq = hex.length() >= 8 ? hex : "00000000".substring(hex.length()) + hex;
    if (isLocal()) {
      return "Local/" + exten() + "@" + context() + "-" + seq + ";" + half;
    }
    int at = resource.indexOf('@');
    String device = at < 0 ? resource : resource.substring(at + 1);
    return "PJSIP/" + device + "-" + seq;
  }

  /** The Local resource without its options ({@code 1555@callee/n} becomes {@code 1555@callee}). */
  private String localTarget() {
    int options = resource.indexOf('/');
    return options < 0 ? resource : resource.substring(0, options);
  }
}
