package dev.contactcenter.ari;

import io.vertx.core.json.JsonObject;

/** Asterisk answered an ARI request with an error status. */
public final class AriException extends RuntimeException {

  private final int status;

  AriException(int status, String message) {
    // An answer, not a bug: no stack trace to fill in (a call that ends before its hand-off gets one per call).
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }

  static AriException of(AriClient.Answer response) {
    String detail = response.statusMessage();
    try {
      JsonObject body = response.body().length() == 0 ? null : response.body().toJsonObject();
      if (body != null) {
        detail = body.getString("message", body.getString("error", detail));
      }
    } catch (RuntimeException notJson) {
      // Keep the status line as the detail.
    }
    return new AriException(response.status(), "HTTP " + response.status() + " " + detail);
  }
}
