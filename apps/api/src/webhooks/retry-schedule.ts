import type { WebhookLevel } from './entities.js';

/**
 * When a failed delivery is tried again: after `baseMs`, then twice as long
 * each time up to `capMs`, until `giveUpAfterMs` after the event (24 hours):
 * then it is marked failed. A `notify` webhook gets one attempt.
 */
export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  giveUpAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { baseMs: 30_000, capMs: 60 * 60_000, giveUpAfterMs: 24 * 3600_000 };

export function retryDelay(attemptsMade: number, policy: RetryPolicy = defaultRetryPolicy): number {
  if (attemptsMade < 1) return 0;
  // 2 ** 40 is past any cap; keeps the power finite.
  return Math.min(policy.baseMs * 2 ** Math.min(attemptsMade - 1, 40), policy.capMs);
}

/** When to try again after `attemptsMade` failed attempts, or undefined to give up. */
export function nextAttemptAt(options: {
  attemptsMade: number;
  createdAt: Date;
  now: Date;
  level: WebhookLevel;
  policy?: RetryPolicy;
}): Date | undefined {
  const policy = options.policy ?? defaultRetryPolicy;
  if (options.level === 'notify') return undefined;
  const next = options.now.getTime() + retryDelay(options.attemptsMade, policy);
  if (next > options.createdAt.getTime() + policy.giveUpAfterMs) return undefined;
  return new Date(next);
}

/** A receiver answered the delivery: 2xx; a redirect is not followed and counts as a failure. */
export function delivered(code: number | undefined): boolean {
  return code !== undefined && code >= 200 && code < 300;
}
