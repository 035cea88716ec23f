package dev.contactcenter.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Refuses, with a 4xx problem+json, what must not reach the router's decoders, the body handler or the contract
 * validator: requests Netty could not parse (bad chunking, header limits), malformed percent-escapes or control
 * characters in the path or query, bodies of a media type the operation does not take, and JSON that is not strict
 * RFC 8259 (a byte-order mark, comments, trailing content, bytes that are not well-formed UTF-8). Everything here is checked before authentication, so a
 * hostile request costs one short answer and no stack trace.
 */
final class RequestGuard {

  static final String JSON = "application/json";
  static final String FORM = "application/x-www-form-urlencoded";
  /** {@code application/json}, optionally with a UTF-8 charset: the only request body type of the JSON operations. */
  private static final Pattern JSON_TYPE = Pattern.compile(
      "application/json\\s*(;\\s*charset\\s*=\\s*\"?utf-8\"?\\s*)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern FORM_TYPE = Pattern.compile(
      "application/x-www-form-urlencoded\\s*(;\\s*charset\\s*=\\s*\"?utf-8\"?\\s*)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern BAD_ESCAPE = Pattern.compile("%(?![0-9A-Fa-f]{2})");
  private static final JsonFactory STRICT = JsonFactory.builder().build();
  private static final String DECODED_BODY = "cc.decodedJsonBody";
  private static final String BYTE_ORDER_MARK = "the JSON body starts with a byte-order mark; send plain UTF-8 JSON";
  private static final String NOT_JSON = "the request body is not valid JSON";
  private static final String NOT_UTF8 = "the request body is not well-formed UTF-8 (overlong forms, encoded"
      + " surrogates and bytes that start no character are refused)";

  private RequestGuard() {
  }

  /**
   * The server's answer to a request Netty could not decode (the default writes an empty body): 414 for a request
   * line, 431 for headers over the limits, 400 otherwise; the connection is closed after it.
   */
  static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414 : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    String detail = switch (status) {
      case 414 -> "the request line is longer than this service accepts";
      case 431 -> "the request headers are larger than this service accepts";
      default -> "the request is not valid HTTP/1.1 (e.g. its chunked encoding or a header is malformed)";
    };
    HttpServerResponse response = request.response();
    String path = safePath(request);
    response.setStatusCode(status).putHeader("Content-Type", Problems.CONTENT_TYPE).putHeader("Connection", "close")
        .end(Problems.body(status, detail, path, UUID.randomUUID().toString()).encode())
        .onComplete(done -> request.connection().close());
  }

  /**
   * Root handler: the path and query must be well-formed percent-encoding without control characters; a body's media
   * type must be one the target takes (a form only for the token operation, JSON for the rest of the API).
   */
  static void checkTarget(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    String uri = request.uri();
    if (request.getHeader("Transfer-Encoding") != null && request.getHeader("Content-Length") != null) {
      // Two framings for one body is how requests are smuggled past proxies (RFC 9112 §6.3): refuse, then close.
      rc.response().putHeader("Connection", "close");
      Problems.send(rc, 400, "send either Content-Length or Transfer-Encoding, not both");
      return;
    }
    if (uri == null || uri.indexOf('%') >= 0 && BAD_ESCAPE.matcher(uri).find()) {
      Problems.send(rc, 400, "the request target has a malformed percent-escape");
      return;
    }
    String path;
    try {
      String raw = request.path();
      // Without a percent-escape the decoded path is the path itself ('+' is kept as it is): no decoder pass.
      path = raw.indexOf('%') < 0 ? raw
          : java.net.URLDecoder.decode(raw.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
      rc.queryParams();
    } catch (IllegalArgumentException e) {
      Problems.send(rc, 400, "the request target is not valid percent-encoded UTF-8");
      return;
    }
    if (hasControlCharacter(path) || path.indexOf('\uFFFD') >= 0) {
      Problems.send(rc, 400, "the request path holds control characters or invalid UTF-8");
      return;
    }
    if (hasBody(request) && !path.startsWith("/eventbus/")) {
      String contentType = request.getHeader("Content-Type");
      boolean token = path.equals(ApiContract.TOKEN_PATH) && request.method() == HttpMethod.POST;
      Pattern expected = token ? FORM_TYPE : JSON_TYPE;
      if (contentType == null || !(token ? FORM : JSON).equals(contentType) && !expected.matcher(contentType.trim()).matches()) {
        Problems.send(rc, 415, "send the body as " + (token ? FORM : JSON) + " (UTF-8)");
        return;
      }
    }
    rc.next();
  }

  /**
   * After the body handler: a JSON body must be strict JSON (no BOM, no comments, one value). A small body is decoded
   * here, once, and the contract validation and the operation use that value (see {@link #decodedBody}); a larger one
   * is only checked here, on the event loop, and decoded by the validation on a worker thread.
   */
  static void checkJson(RoutingContext rc) {
    RequestBody body = rc.body();
    Buffer buffer = body == null ? null : body.buffer();
    if (buffer == null || buffer.length() == 0 || !isJson(rc.request().getHeader("Content-Type"))) {
      rc.next();
      return;
    }
    if (buffer.length() > InlineRequestValidator.INLINE_BODY_LIMIT) {
      String problem = strictJsonProblem(buffer.getBytes());
      if (problem != null) {
        Problems.send(rc, 400, problem);
        return;
      }
      rc.next();
      return;
    }
    Object decoded;
    try {
      decoded = decodeStrict(buffer);
    } catch (DecodeException e) {
      Problems.send(rc, 400, e.getMessage());
      return;
    }
    if (decoded != null) {
      rc.put(DECODED_BODY, decoded);
    }
    rc.next();
  }

  /**
   * The JSON body as {@link #checkJson} decoded it (a {@code JsonObject}, {@code JsonArray}, string, number or
   * boolean), or null when it did not (no JSON body, the literal {@code null}, or a body over the inline limit).
   */
  static Object decodedBody(RoutingContext rc) {
    return rc.get(DECODED_BODY);
  }

  /**
   * The value of a strict JSON document, one pass of the strict parser building Vert.x's JSON types (JsonObject,
   * JsonArray, the numbers Jackson reads) as Vert.x's codec does. Not {@code Json.decodeValue}: with jackson-databind
   * present that codec accepts comments. On failure the exception's message is the problem's detail.
   */
  static Object decodeStrict(Buffer buffer) {
    byte[] bytes = buffer.getBytes();
    if (startsWithByteOrderMark(bytes)) {
      throw new DecodeException(BYTE_ORDER_MARK);
    }
    if (!Utf8.wellFormed(bytes)) {
      throw new DecodeException(NOT_UTF8);
    }
    try {
      return JacksonCodec.fromParser(STRICT.createParser(bytes), Object.class);
    } catch (DecodeException | IOException e) {
      // The failure path only: the streaming check says what is wrong, in this service's words.
      String problem = strictJsonProblem(bytes);
      throw new DecodeException(problem != null ? problem : NOT_JSON);
    }
  }

  static String strictJsonProblem(byte[] bytes) {
    if (startsWithByteOrderMark(bytes)) {
      return BYTE_ORDER_MARK;
    }
    if (!Utf8.wellFormed(bytes)) {
      return NOT_UTF8;
    }
    try (JsonParser parser = STRICT.createParser(bytes)) {
      if (parser.nextToken() == null) {
        return "the request body is empty";
      }
      parser.skipChildren();
      if (parser.nextToken() != null) {
        return "the request body holds more than one JSON value";
      }
      return null;
    } catch (IOException e) {
      return NOT_JSON;
    }
  }

  private static boolean startsWithByteOrderMark(byte[] bytes) {
    return bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF;
  }

  private static boolean isJson(String contentType) {
    return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(JSON);
  }

  /** What {@code \p{Cntrl}} matches (U+0000 to U+001F and U+007F), without a regular expression per request. */
  static boolean hasControlCharacter(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        return true;
      }
    }
    return false;
  }

  static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader("Content-Length");
    if (length != null) {
      return !length.trim().equals("0");
    }
    return request.getHeader("Transfer-Encoding") != null;
  }

  private static String safePath(HttpServerRequest request) {
    try {
      String uri = request.uri();
      int query = uri == null ? -1 : uri.indexOf('?');
      return uri == null ? "" : query < 0 ? uri : uri.substring(0, query);
    } catch (RuntimeException e) {
      return "";
    }
  }
}
