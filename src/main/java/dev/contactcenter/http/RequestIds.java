package dev.contactcenter.http;

import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The request id: taken from {@code X-Request-Id} when it is a sane token, made otherwise; echoed in the response
 * and put in the logging MDC for every line logged about the request.
 */
public final class RequestIds {

  public static final String HEADER = "X-Request-Id";
  static final String KEY = "request_id";
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private RequestIds() {
  }

  /** Root handler: assigns the id and echoes it. */
  static void assign(RoutingContext rc) {
    String incoming = rc.request().getHeader(HEADER);
    String id = incoming != null && SAFE.matcher(incoming).matches() ? incoming : generated();
    rc.put(KEY, id);
    rc.response().putHeader(HEADER, id);
    rc.next();
  }

  /**
   * A random (version 4) UUID for correlating log lines, from the thread's own generator: a request id needs no
   * secrecy (a client may choose its own), and {@link UUID#randomUUID()}'s shared SecureRandom was measurable per
   * request. Call ids, which are resource names, stay {@code UUID.randomUUID()}.
   */
  static String generated() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = random.nextLong() & ~0xF000L | 0x4000L;
    long low = random.nextLong() & ~(0x3L << 62) | 1L << 63;
    return new UUID(high, low).toString();
  }

  public static String of(RoutingContext rc) {
    String id = rc.get(KEY);
    return id == null ? "-" : id;
  }

  /** Logs one line with the request id in the MDC (event loops are shared, so it is set and cleared per line). */
  public static void info(RoutingContext rc, Logger log, String format, Object... args) {
    MDC.put(KEY, of(rc));
    try {
      log.info(format, args);
    } finally {
      MDC.remove(KEY);
    }
  }

  public static void warn(RoutingContext rc, Logger log, String format, Object... args) {
    MDC.put(KEY, of(rc));
    try {
      log.warn(format, args);
    } finally {
      MDC.remove(KEY);
    }
  }

  public static void error(RoutingContext rc, Logger log, String format, Object... args) {
    MDC.put(KEY, of(rc));
    try {
      log.error(format, args);
    } finally {
      MDC.remove(KEY);
    }
  }
}
