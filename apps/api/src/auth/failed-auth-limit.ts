import { isIPv6 } from 'node:net';
import { PlatError } from '@plat/core';
import { WindowCounter } from './window-counter.js';

/**
 * Failed authentications a client address may make a minute before every
 * attempt from it gets 429 for the rest of the minute.
 */
export const FAILED_AUTH_LIMIT = 20;
export const FAILED_AUTH_WINDOW_MS = 60_000;
/**
 * Authentications an address may have being checked at once. Counting them
 * with the failures (as before) refused a good client's 21st parallel request;
 * kept apart, a burst of guesses still gets at most this many past the check
 * before its failures close the window.
 */
export const AUTH_IN_FLIGHT_LIMIT = 64;

/**
 * Guesses at tokens are refused before they cost a database query: after
 * FAILED_AUTH_LIMIT failures in a window, an address gets `rate_limited`
 * for any token, good or bad, until the window ends. In memory, bounded.
 */
export class FailedAuthLimit {
  readonly max: number;
  readonly maxInFlight: number;
  readonly #failures: WindowCounter;

  constructor(
    options: { max?: number; maxInFlight?: number; windowMs?: number; maxAddresses?: number; now?: () => number } = {},
  ) {
    this.max = options.max ?? FAILED_AUTH_LIMIT;
    this.maxInFlight = options.maxInFlight ?? AUTH_IN_FLIGHT_LIMIT;
    this.#failures = new WindowCounter({
      windowMs: options.windowMs ?? FAILED_AUTH_WINDOW_MS,
      maxKeys: options.maxAddresses ?? 10_000,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /** Attempts being checked against the database right now, per address. */
  readonly #inFlight = new Map<string, number>();

  /** Throws rate_limited when the address has failed too often in this window. */
  check(address: string | undefined): void {
    const key = addressKey(address);
    const { count, resetInMs } = this.#failures.peek(key);
    if (count >= this.max || (this.#inFlight.get(key) ?? 0) >= this.maxInFlight) {
      throw new PlatError(
        'rate_limited',
        `Too many failed authentications from your address: retry in ${Math.max(1, Math.ceil(resetInMs / 1000))} s.`,
      );
    }
  }

  failed(address: string | undefined): void {
    this.#failures.hit(addressKey(address));
  }

  /**
   * Checks and reserves one attempt until `release` is called, so a burst of
   * parallel guesses cannot all pass the check before the first one fails.
   */
  attempt(address: string | undefined): () => void {
    this.check(address);
    const key = addressKey(address);
    this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(key, left);
      else this.#inFlight.delete(key);
    };
  }
}

/**
 * What failures are counted against: an IPv4 address, or an IPv6 address's
 * /64 (one host usually owns a whole /64 and could rotate through it).
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
