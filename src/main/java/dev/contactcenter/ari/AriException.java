package dev.contactcenter.ari;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;

/** Asterisk answered an ARI request with an error status. */
public final class AriException extends RuntimeException {

  private final int status;

  AriException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }

  static AriException of(HttpResponse<Buffer> response) {
    String detail = response.statusMessage();
    try {
      JsonObject body = response.bodyAsJsonObject();
      if (body != null) {
        detail = body.getString("message", body.getString("error", detail));
      }
    } catch (RuntimeException notJson) {
      // Keep the status line as the detail.
    }
    return new AriException(response.statusCode(), "HTTP " + response.statusCode() + " " + detail);
  }
}
