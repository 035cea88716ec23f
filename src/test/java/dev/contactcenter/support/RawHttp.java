package dev.contactcenter.support;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sends bytes an HTTP client library would refuse to (malformed escapes, bad chunking, control characters) over a
 * plain socket, one request per connection, and reads the answer; "no answer" within the timeout is a result too.
 */
public final class RawHttp {

  /** What came back: status -1 when the server closed or stayed silent without answering. */
  public record Answer(int status, Map<String, String> headers, String body, boolean closed) {

    public boolean answered() {
      return status > 0;
    }

    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public boolean isProblem() {
      String type = header("content-type");
      if (type == null || !type.startsWith("application/problem+json")) {
        return false;
      }
      try {
        JsonObject body = new JsonObject(this.body);
        return body.getInteger("status") == status && body.getString("title") != null;
      } catch (RuntimeException e) {
        return false;
      }
    }

    @Override
    public String toString() {
      return status + " " + headers.get("content-type") + " " + (body.length() > 300 ? body.substring(0, 300) : body);
    }
  }

  private final int port;

  public RawHttp(int port) {
    this.port = port;
  }

  public Answer send(String request) {
    return send(request.getBytes(StandardCharsets.ISO_8859_1), 10_000);
  }

  public Answer send(byte[] request, int timeoutMs) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(timeoutMs);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      return read(socket.getInputStream());
    } catch (IOException e) {
      throw new AssertionError("socket failed: " + e, e);
    }
  }

  /** Reads one response: head, then Content-Length bytes or chunks or until close. */
  public static Answer read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    try {
      int matched = 0;
      int b;
      while (matched < 4 && (b = in.read()) >= 0) {
        head.write(b);
        matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
            ? matched + 1 : 0;
      }
      if (matched < 4) {
        return new Answer(-1, Map.of(), head.toString(StandardCharsets.ISO_8859_1), true);
      }
    } catch (SocketTimeoutException e) {
      return new Answer(-1, Map.of(), head.toString(StandardCharsets.ISO_8859_1), false);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try {
      if (headers.containsKey("content-length")) {
        int length = Integer.parseInt(headers.get("content-length"));
        body.write(in.readNBytes(length));
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        while (true) {
          String size = readLine(in);
          int n = Integer.parseInt(size.trim(), 16);
          if (n == 0) {
            readLine(in);
            break;
          }
          body.write(in.readNBytes(n));
          readLine(in);
        }
      }
    } catch (SocketTimeoutException e) {
      // a partial body is still an answer
    }
    return new Answer(status, headers, body.toString(StandardCharsets.UTF_8), false);
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }
}
