package dev.contactcenter.http;

import dev.contactcenter.auth.PasswordHasher;
import dev.contactcenter.auth.TokenRateLimiter;
import dev.contactcenter.auth.TokenService;
import dev.contactcenter.metrics.ServiceMetrics;

/** What every HTTP verticle instance shares: created once per process, not per request or per instance. */
public record HttpServices(PasswordHasher hasher, TokenService tokens, TokenRateLimiter tokenLimiter,
    ApiContract contract, ServiceMetrics metrics, StartGate gate, TokenRateLimiter callsPerSecond) {

  public HttpServices(PasswordHasher hasher, TokenService tokens, TokenRateLimiter tokenLimiter, ApiContract contract,
      ServiceMetrics metrics) {
    this(hasher, tokens, tokenLimiter, contract, metrics, StartGate.opened());
  }

  public HttpServices(PasswordHasher hasher, TokenService tokens, TokenRateLimiter tokenLimiter, ApiContract contract) {
    this(hasher, tokens, tokenLimiter, contract, ServiceMetrics.disabled());
  }

  /** Each user's calls in the last second, shared by the HTTP verticles (their limits vary per user). */
  public HttpServices(PasswordHasher hasher, TokenService tokens, TokenRateLimiter tokenLimiter, ApiContract contract,
      ServiceMetrics metrics, StartGate gate) {
    this(hasher, tokens, tokenLimiter, contract, metrics, gate, new TokenRateLimiter(1, 1));
  }
}
