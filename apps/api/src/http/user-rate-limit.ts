import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { PlatError } from '@plat/core';
import { WindowCounter } from '../auth/window-counter.js';

/**
 * PLAT_API_RATE_LIMIT: requests a minute per user. Routes count through
 * @fastify/rate-limit with store(); attach upgrades (plat run, pg:psql),
 * which never reach a route, count through charge(): one budget for both.
 */
export class UserRateLimit {
  readonly perMinute: number;
  readonly #counter = new WindowCounter({ windowMs: 60_000, maxKeys: 50_000 });

  constructor(perMinute: number) {
    this.perMinute = perMinute;
  }

  static message(max: number, ttlMs: number): string {
    return `Too many requests: the limit is ${max} a minute; retry in ${Math.max(1, Math.ceil(ttlMs / 1000))} s.`;
  }

  /** Counts one request of the user's; throws rate_limited past the limit (0: no limit). */
  charge(userId: string): void {
    if (this.perMinute <= 0) return;
    const { count, resetInMs } = this.#counter.hit(userId);
    if (count > this.perMinute) throw new PlatError('rate_limited', UserRateLimit.message(this.perMinute, resetInMs));
  }

  /** A store for @fastify/rate-limit that counts in this limit's counter. */
  store(): FastifyRateLimitStoreCtor {
    const counter = this.#counter;
    return class SharedCounterStore implements FastifyRateLimitStore {
      incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void): void {
        const { count, resetInMs } = counter.hit(key);
        callback(null, { current: count, ttl: resetInMs });
      }

      child(): FastifyRateLimitStore {
        return this;
      }
    };
  }
}
