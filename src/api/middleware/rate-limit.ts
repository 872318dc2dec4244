import type { Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Caller } from '../callers.js';
import { ApiError } from '../problem.js';
import { HEADER } from '../wire.js';

const WINDOW_S = 60;

/** Limiters per one-minute quota; in memory, or in Redis when several API instances must share counts. */
export class RateLimiters {
  private readonly byPrefix = new Map<string, RateLimiterAbstract>();

  constructor(private readonly redis?: unknown) {}

  /** Requests per caller id. */
  for(perMinute: number): RateLimiterAbstract {
    return this.limiter(`chainport:rl:${perMinute}`, perMinute);
  }

  /** Failed authentications per client address; a bucket apart, so an address never shares a caller's count. */
  failedAuth(perMinute: number): RateLimiterAbstract {
    return this.limiter(`chainport:auth-fail:${perMinute}`, perMinute);
  }

  private limiter(keyPrefix: string, points: number): RateLimiterAbstract {
    let limiter = this.byPrefix.get(keyPrefix);
    if (!limiter) {
      const options = { points, duration: WINDOW_S, keyPrefix };
      limiter = this.redis
        ? // If Redis fails, fall back to per-instance limits rather than refusing every request.
          new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
      this.byPrefix.set(keyPrefix, limiter);
    }
    return limiter;
  }
}

/** RateLimit-Policy / RateLimit header values (IETF draft-ietf-httpapi-ratelimit-headers, structured fields). */
export function rateLimitHeaders(policy: string, quota: number, windowS: number, remaining: number, resetS: number): Record<string, string> {
  return {
    [HEADER.rateLimitPolicy]: `"${policy}";q=${quota};w=${windowS}`,
    [HEADER.rateLimit]: `"${policy}";r=${Math.max(0, remaining)};t=${Math.max(0, Math.ceil(resetS))}`,
  };
}

/**
 * Per-caller request rate: `caller.rateLimitPerMin` requests per rolling minute. Each caller has its own
 * bucket, so one runaway caller never slows another. Over the limit: 429 rate_limited with Retry-After.
 */
export function rateLimit(limiters: RateLimiters, onReject: (caller: Caller) => void = () => undefined): Middleware {
  return async function rateLimit(ctx, next) {
    const caller = ctx.state.caller;
    const quota = caller.rateLimitPerMin;
    let result: RateLimiterRes;
    try {
      result = await limiters.for(quota).consume(caller.id);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      onReject(caller);
      throw overQuota('requests', quota, rejection.msBeforeNext, `More than ${quota} requests in a minute.`);
    }
    ctx.set(rateLimitHeaders('requests', quota, WINDOW_S, result.remainingPoints, result.msBeforeNext / 1000));
    await next();
  };
}

/** 429 rate_limited for a one-minute quota used up, with Retry-After and RateLimit headers. */
export function overQuota(policy: string, quota: number, msBeforeNext: number, why: string): ApiError {
  const retryAfterS = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new ApiError('rate_limited', `${why} Retry after ${retryAfterS} s.`, {
    headers: { ...rateLimitHeaders(policy, quota, WINDOW_S, 0, retryAfterS), [HEADER.retryAfter]: String(retryAfterS) },
  });
}
