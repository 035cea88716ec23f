package dev.contactcenter.http;

import dev.contactcenter.auth.VerifiedTokenCache;
import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.calls.CallRequest;
import dev.contactcenter.dispatch.Dispatch;
import dev.contactcenter.calls.CallTimeouts;
import dev.contactcenter.config.AppConfig;
import dev.contactcenter.lifecycle.ShutdownGate;
import dev.contactcenter.metrics.MetricsEndpoint;
import dev.contactcenter.webhooks.Subscriptions;
import dev.contactcenter.cluster.ServerDirectory;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.JWTAuthHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The HTTP front: every API route comes from {@code openapi.yaml} through the OpenAPI router (the token
 * operation aside, see {@link TokenHandler}); docs and the contract itself are served beside it.
 */
public final class HttpVerticle extends VerticleBase {

  private static final String BEARER = "bearerAuth";
  /** How long a client has to send a complete request head (on a new or kept-alive connection). */
  static final long HEADER_DEADLINE_MS = 20_000;
  private static final Pattern PLUS_IN_QUERY = Pattern.compile("\\+|%2[Bb]");

  private final AppConfig config;
  private final HttpServices services;
  private HttpServer server;

  public HttpVerticle(AppConfig config, HttpServices services) {
    this.config = config;
    this.services = services;
  }

  @Override
  public Future<?> start() {
    UserDirectory users = new UserDirectory();
    LocalCodec.register(vertx);
    HeaderDeadline deadline = new HeaderDeadline(vertx,
        Long.getLong("contactcenter.header-deadline-ms", HEADER_DEADLINE_MS));
    return users.start(vertx)
        .map(v -> router(services.contract(), users))
        // No h2c: while Vert.x sniffs a connection for the HTTP/2 preface it has no connection to time out, so a
        // client trickling bytes could hold it open forever; the API is HTTP/1.1 (TLS, and HTTP/2, at the proxy).
        .compose(router -> vertx.createHttpServer(new HttpServerOptions().setIdleTimeout(120)
                .setHttp2ClearTextEnabled(false))
            .connectionHandler(connection -> {
              deadline.connected(connection);
              MalformedBodyAnswer.install(connection);
            })
            .invalidRequestHandler(RequestGuard::invalidRequest)
            .requestHandler(request -> {
              deadline.headReceived(request);
              router.handle(request);
            })
            .listen(config.httpPort(), config.httpHost()))
        .onSuccess(listening -> server = listening);
  }

  /** The port actually bound (useful when HTTP_PORT is 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private Router router(ApiContract contract, UserDirectory users) {
    Router root = Router.router(vertx);
    FailureHandler failures = new FailureHandler();
    root.route().handler(HttpVerticle::encodePlusInPath);
    root.route().handler(ClientAddress.resolver(config.trustProxyHeaders(), config.edge().trustedProxies()))
        .handler(RequestIds::assign).handler(AccessLog::attach).handler(HttpVerticle::securityHeaders)
        .handler(RequestGuard::checkTarget);
    root.route().handler(services.gate()::handle);
    // Before CORS and the API's BodyHandler: SockJS answers its own CORS requests and brings its own body handler.
    EventBusBridge.mount(root, vertx, services.tokens(), users);
    root.route().handler(ShutdownGate.of(vertx)::handle);
    if (!config.corsAllowedOrigins().isEmpty()) {
      root.route().handler(cors());
    }
    root.route().failureHandler(failures);
    // Before the body handler: the token form is read and decoded by its handler (see TokenHandler).
    TokenHandler token = new TokenHandler(vertx.eventBus(), services.hasher(), services.tokens(),
        services.tokenLimiter(), config.trustProxyHeaders());
    root.post(ApiContract.TOKEN_PATH).handler(token::handle);
    root.route().handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()))
        .handler(RequestGuard::checkJson);
    DocsRoutes.mount(root, contract.yaml);
    MetricsEndpoint.mount(root, services.metrics(), config.metricsToken());
    DashboardRoutes.mount(root);

    Router api = apiRouter(contract, users);
    api.route().failureHandler(failures);
    root.route("/*").subRouter(api);
    root.errorHandler(404, rc -> Problems.send(rc, 404, "no such resource"));
    root.errorHandler(405, rc -> Problems.send(rc, 405, "method not allowed on this resource"));
    for (int status : new int[] {400, 413, 414, 415, 431, 500}) {
      root.errorHandler(status, failures);
    }
    return root;
  }

  private Router apiRouter(ApiContract contract, UserDirectory users) {
    RouterBuilder builder = RouterBuilder.create(vertx, contract.routable, RequestExtractor.withBodyHandler());
    builder.security(BEARER).httpHandler(JWTAuthHandler.create(new VerifiedTokenCache(services.tokens().auth())));
    InlineRequestValidator validator = new InlineRequestValidator(vertx, contract.routable);

    HealthHandler health = new HealthHandler(vertx.eventBus(), config.sandboxMode(),
        DocsRoutes.webjarVersions().getProperty("version"), ShutdownGate.of(vertx));
    bind(builder, validator, "getHealth", health::health);
    bind(builder, validator, "getLiveness", health::live);
    bind(builder, validator, "getReadiness", health::ready);

    UsersHandler usersApi = new UsersHandler(vertx.eventBus(), services.hasher());
    bindProtected(builder, validator, users, true, "listUsers", usersApi::list);
    bindProtected(builder, validator, users, true, "createUser", usersApi::create);
    bindProtected(builder, validator, users, true, "disableUser", usersApi::disable);
    bindProtected(builder, validator, users, true, "updateUser", usersApi::update);
    bindProtected(builder, validator, users, false, "changeOwnPassword", usersApi::changeOwnPassword);

    Subscriptions subscriptions = new Subscriptions(vertx, config.webhooks());
    CallTimeouts timeouts = new CallTimeouts(config.ariRequestTimeoutMs());
    CallsHandler calls = new CallsHandler(vertx.eventBus(), timeouts);
    CallCreation creation = new CallCreation(vertx.eventBus(), new CallRequest.Defaults(config.defaultContext(),
        config.defaultExtension(), config.defaultPriority(), config.defaultTimeoutMs(),
        config.defaultCallerId().orElse(null)), config.sandboxMode(),
        timeouts, subscriptions, new CallLimits(config.edge(), services.callsPerSecond(), users),
        () -> ServerDirectory.of(vertx), Dispatch.admission(vertx.eventBus(), config));
    bindProtected(builder, validator, users, true, "listServers", new ServersHandler(vertx.eventBus(), config)::list);
    bindProtected(builder, validator, users, false, "createInteraction", creation::createInteraction);
    bindProtected(builder, validator, users, false, "createCall", creation::createCall);
    bindProtected(builder, validator, users, false, "listCalls", calls::listCalls);
    bindProtected(builder, validator, users, false, "getCall", calls::getCall);
    bindProtected(builder, validator, users, false, "getCallStatus", calls::getCall);
    bindProtected(builder, validator, users, false, "hangupCall", calls::hangup);
    bindProtected(builder, validator, users, false, "listCallEvents", calls::listEvents);

    WebhooksHandler webhooks = new WebhooksHandler(vertx.eventBus(), subscriptions);
    bindProtected(builder, validator, users, false, "createWebhook", webhooks::create);
    bindProtected(builder, validator, users, false, "listWebhooks", webhooks::list);
    bindProtected(builder, validator, users, false, "getWebhook", webhooks::get);
    bindProtected(builder, validator, users, false, "deleteWebhook", webhooks::delete);
    bindProtected(builder, validator, users, false, "updateWebhook", webhooks::update);
    bindProtected(builder, validator, users, false, "rotateWebhookSecret", webhooks::rotate);
    bindProtected(builder, validator, users, false, "listWebhookDeliveries", webhooks::deliveries);
    bindProtected(builder, validator, users, false, "retryWebhookDelivery", webhooks::retry);
    bindProtected(builder, validator, users, false, "listCallWebhooks", webhooks::callDeliveries);
    bindProtected(builder, validator, users, false, "getWebhookSigningSecret", webhooks::signingSecret);
    bindProtected(builder, validator, users, false, "rotateWebhookSigningSecret", webhooks::rotateSigningSecret);
    return builder.createRouter();
  }

  private static void bind(RouterBuilder builder, InlineRequestValidator validator, String operationId,
      Handler<RoutingContext> handler) {
    route(builder, validator, operationId).addHandler(handler);
  }

  private static void bindProtected(RouterBuilder builder, InlineRequestValidator validator, UserDirectory users,
      boolean adminOnly, String operationId, Handler<RoutingContext> handler) {
    OpenAPIRoute route = route(builder, validator, operationId).addHandler(users::requireActive);
    if (adminOnly) {
      route.addHandler(UserDirectory::requireAdmin);
    }
    route.addHandler(handler);
  }

  /** The operation's route, validated against the contract by {@link InlineRequestValidator} (after the JWT check). */
  private static OpenAPIRoute route(RouterBuilder builder, InlineRequestValidator validator, String operationId) {
    OpenAPIRoute route = builder.getRoute(operationId);
    if (route == null) {
      throw new IllegalStateException("openapi.yaml has no operation " + operationId);
    }
    return route.setDoValidation(false).addHandler(rc -> validator.handle(rc, route.getOperation()));
  }

  private CorsHandler cors() {
    CorsHandler cors = CorsHandler.create();
    for (String origin : config.corsAllowedOrigins()) {
      cors.addOrigin(origin);
    }
    return cors.allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
        HttpMethod.DELETE, HttpMethod.OPTIONS))
        .allowedHeaders(Set.of("Authorization", "Content-Type", "Idempotency-Key", RequestIds.HEADER))
        .exposedHeaders(Set.of("Location", "Retry-After", RequestIds.HEADER))
        .maxAgeSeconds(600);
  }

  /**
   * vertx-openapi decodes a path's '+' as a space, which would break {@code /api/v2/interaction/+1234567890}
   * (the seed's own example); a literal '+' in a path is legal, so route it as its encoded form.
   *
   * <p>Query values are URL-decoded twice by vertx-openapi 5.0.x (once by the request's {@code params()}, once
   * more in its {@code RequestUtils.extractQuery}), so even a correctly encoded {@code %2B} arrives as a space:
   * {@code phone_number=%2B1234567890} became a number with a leading space (400 "type number") and
   * {@code created_after=...T10:00:00%2B02:00} an invalid time. No query parameter of this API takes a space
   * (E.164 numbers, RFC 3339 times, enums, base64url cursors), so a '+' in the query, literal or {@code %2B},
   * is passed on as a '+' (encoded twice to survive both decodings).
   */
  private static void encodePlusInPath(RoutingContext rc) {
    String path = rc.request().path();
    if (path == null || !path.startsWith("/api/")) {
      rc.next();
      return;
    }
    String query = rc.request().query();
    String plusInQuery = query == null ? null : PLUS_IN_QUERY.matcher(query).replaceAll("%252B");
    if (path.indexOf('+') >= 0 || plusInQuery != null && !plusInQuery.equals(query)) {
      rc.reroute(path.replace("+", "%2B") + (query == null ? "" : "?" + plusInQuery));
      return;
    }
    rc.next();
  }

  private static void securityHeaders(RoutingContext rc) {
    rc.response().putHeader("X-Content-Type-Options", "nosniff").putHeader("Referrer-Policy", "no-referrer");
    rc.next();
  }
}
