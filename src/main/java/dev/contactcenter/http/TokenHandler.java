package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.USERS_FIND;

import dev.contactcenter.auth.PasswordHasher;
import dev.contactcenter.auth.TokenRateLimiter;
import dev.contactcenter.auth.TokenService;
import dev.contactcenter.auth.Usernames;
import dev.contactcenter.logging.LogSafe;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v2/token}: the OAuth2 password grant. This operation is in the served contract, but is
 * handled here rather than by the contract router because vertx-openapi 5.0.7–5.0.10 cannot validate an
 * {@code application/x-www-form-urlencoded} request body (eclipse-vertx/vertx-openapi#122); this handler applies
 * the same rules the contract states (content type, required fields, lengths, grant type).
 */
final class TokenHandler {

  private static final Logger LOG = LoggerFactory.getLogger(TokenHandler.class);
  private static final String FORM = "application/x-www-form-urlencoded";
  /** A token request is three short fields; anything bigger is not one. */
  static final int MAX_FORM_BYTES = 8192;

  private final EventBus bus;
  private final PasswordHasher hasher;
  private final TokenService tokens;
  private final TokenRateLimiter limiter;
  private final boolean trustProxyHeaders;

  TokenHandler(EventBus bus, PasswordHasher hasher, TokenService tokens, TokenRateLimiter limiter,
      boolean trustProxyHeaders) {
    this.bus = bus;
    this.hasher = hasher;
    this.tokens = tokens;
    this.limiter = limiter;
    this.trustProxyHeaders = trustProxyHeaders;
  }

  void handle(RoutingContext rc) {
    Future<Long> admission = limiter.acquire(ClientAddress.of(rc));
    if (admission.succeeded() && tooMany(rc, admission.result())) {
      // Counted in memory: refused before a byte of the body is read.
      return;
    }
    // Counted cluster-wide, the answer comes from the database: the (small, capped) body is read meanwhile, as the
    // request cannot wait paused outside its handler.
    readForm(rc, admission);
  }

  private static boolean tooMany(RoutingContext rc, long wait) {
    if (wait <= 0) {
      return false;
    }
    rc.response().putHeader("Retry-After", Long.toString(wait));
    Problems.send(rc, 429, "too many token requests from this address; retry in " + wait + " s");
    return true;
  }

  private void readForm(RoutingContext rc, Future<Long> admission) {
    String contentType = rc.request().getHeader("Content-Type");
    if (contentType == null || !contentType.toLowerCase().startsWith(FORM)) {
      Problems.send(rc, 415, "send the credentials as " + FORM);
      return;
    }
    String length = rc.request().getHeader("Content-Length");
    long declared;
    try {
      declared = length == null ? 0 : Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      declared = Long.MAX_VALUE;
    }
    if (declared > MAX_FORM_BYTES) {
      Problems.send(rc, 413, "the token request body is larger than " + MAX_FORM_BYTES + " bytes");
      return;
    }
    // Read and decode here rather than through the body handler's form decoder: a malformed escape there threw
    // where no one answered the request. Chunked bodies are read too (generated clients send them), capped.
    Buffer body = Buffer.buffer();
    boolean[] tooLarge = {false};
    rc.request().handler(chunk -> {
      if (tooLarge[0]) {
        return;
      }
      if (body.length() + chunk.length() > MAX_FORM_BYTES) {
        tooLarge[0] = true;
        rc.response().putHeader("Connection", "close");
        Problems.send(rc, 413, "the token request body is larger than " + MAX_FORM_BYTES + " bytes");
        return;
      }
      body.appendBuffer(chunk);
    });
    rc.request().exceptionHandler(rc::fail);
    rc.request().endHandler(end -> {
      if (!tooLarge[0]) {
        admission.onSuccess(wait -> {
          if (!tooMany(rc, wait)) {
            withForm(rc, body);
          }
        }).onFailure(rc::fail);
      }
    });
    rc.request().resume();
  }

  private void withForm(RoutingContext rc, Buffer body) {
    Map<String, List<String>> form;
    try {
      form = new QueryStringDecoder(body.toString(StandardCharsets.UTF_8), StandardCharsets.UTF_8, false).parameters();
    } catch (IllegalArgumentException e) {
      Problems.send(rc, 400, "the form body is not valid percent-encoded UTF-8");
      return;
    }
    String username = first(form, "username");
    String password = first(form, "password");
    String grantType = first(form, "grant_type");
    JsonObject errors = null;
    if (username == null || username.isEmpty() || username.length() > 64 || Usernames.hasControl(username)) {
      errors = Problems.fieldErrors("username", "required, 1 to 64 characters, no control characters");
    } else if (password == null || password.isEmpty() || password.length() > 1024) {
      errors = Problems.fieldErrors("password", "required, 1 to 1024 characters");
    } else if (grantType != null && !grantType.equals("password")) {
      errors = Problems.fieldErrors("grant_type", "only 'password' is supported");
    }
    if (errors != null) {
      Problems.send(rc, 400, "invalid token request", errors);
      return;
    }
    bus.<JsonObject>request(USERS_FIND, new JsonObject().put("username", username))
        .compose(reply -> {
          JsonObject user = reply.body().getJsonObject("user");
          boolean usable = user != null && !user.getBoolean("disabled", false);
          // Unknown and disabled users are verified against a decoy hash: same answer, same time.
          return hasher.verify(password, usable ? user.getString("password_hash") : null)
              .map(ok -> ok ? user : null);
        })
        .onSuccess(user -> {
          if (user == null) {
            RequestIds.info(rc, LOG, "Token refused for user '{}'", LogSafe.text(username));
            Problems.send(rc, 401, "invalid username or password");
            return;
          }
          String token = tokens.issue(user.getString("username"), user.getString("role"));
          rc.response().putHeader("Cache-Control", "no-store").putHeader("Pragma", "no-cache");
          rc.json(new JsonObject().put("access_token", token).put("token_type", "bearer")
              .put("expires_in", tokens.ttlSeconds()));
        })
        .onFailure(rc::fail);
  }

  private static String first(Map<String, List<String>> form, String name) {
    List<String> values = form.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
