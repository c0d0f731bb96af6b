/**
 * Waiting for nginx's old workers to exit after reloads, for every reload at
 * once. nginx's workers are the master's children, not platd's: nothing tells
 * platd when one exits, so /proc is polled. Each reload's old workers may live
 * up to worker_shutdown_timeout (30 s), and a burst of reloads leaves several
 * generations draining at the same time: one poller checks them all, so the
 * cost is one loop however many reloads overlap, and the loop slows down once
 * the newest reload is a second old (an exit is then noticed within 250 ms,
 * where in the first second it is noticed within 20 ms, as deploys expect).
 */

/** How often to look in the first second after a reload: an old worker with nothing in flight exits by then. */
export const FIRST_POLL_MS = 20;
/** How long the first, quick polling lasts. */
export const QUICK_PHASE_MS = 1000;
/** The slowest polling: workers still draining after a second finish long requests; a quarter second more is little. */
export const SLOWEST_POLL_MS = 250;

/**
 * The wait before the next look, given how long ago the newest reload began
 * waiting: FIRST_POLL_MS for the first second, then growing by an eighth of
 * the time since, up to SLOWEST_POLL_MS (reached about 1.8 s later).
 */
export function nextPollDelay(sinceNewestMs: number): number {
  if (sinceNewestMs < QUICK_PHASE_MS) return FIRST_POLL_MS;
  return Math.min(SLOWEST_POLL_MS, FIRST_POLL_MS + Math.floor((sinceNewestMs - QUICK_PHASE_MS) / 8));
}

interface Waiter {
  /** The reload's old workers not yet seen gone. */
  remaining: Set<number>;
  /** When it stops waiting even if some are left (the master kills them at worker_shutdown_timeout). */
  deadline: number;
  resolve: () => void;
}

/**
 * The bookkeeping, without timers: which reloads wait for which workers. Each
 * check looks at every worker still awaited once, however many reloads await
 * it, and forgets one once seen gone (so a pid reused later does not count).
 */
export class DrainingWorkers {
  readonly #alive: (pid: number) => boolean;
  readonly #waiters = new Set<Waiter>();
  /** When the newest waiter was added: the polling is quick for a second after. */
  #newestAt = Number.NEGATIVE_INFINITY;

  constructor(alive: (pid: number) => boolean) {
    this.#alive = alive;
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  /** Awaits these workers until the deadline; `resolve` is called at a check once they are gone or it has passed. */
  add(pids: number[], deadline: number, now: number, resolve: () => void): void {
    this.#waiters.add({ remaining: new Set(pids), deadline, resolve });
    this.#newestAt = now;
  }

  /**
   * Looks at each awaited worker once and resolves the waiters done; returns
   * how long to wait before the next check, undefined when nobody waits.
   */
  check(now: number): number | undefined {
    // What this check saw of each worker: one look each, however many waiters share it.
    const seen = new Map<number, boolean>();
    for (const waiter of this.#waiters) {
      for (const pid of waiter.remaining) {
        let alive = seen.get(pid);
        if (alive === undefined) {
          alive = this.#alive(pid);
          seen.set(pid, alive);
        }
        if (!alive) waiter.remaining.delete(pid);
      }
    }
    let earliest = Number.POSITIVE_INFINITY;
    for (const waiter of this.#waiters) {
      if (waiter.remaining.size === 0 || now >= waiter.deadline) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      } else {
        earliest = Math.min(earliest, waiter.deadline);
      }
    }
    if (this.#waiters.size === 0) return undefined;
    // Not past a deadline: a waiter resolves at its deadline, as it did with a loop of its own.
    return Math.max(0, Math.min(nextPollDelay(now - this.#newestAt), earliest - now));
  }
}

/** DrainingWorkers on a timer: one timer for all the reloads that wait, none when none do. */
export class WorkerExitPoller {
  readonly #workers: DrainingWorkers;
  #timer: NodeJS.Timeout | undefined;

  constructor(alive: (pid: number) => boolean) {
    this.#workers = new DrainingWorkers(alive);
  }

  /** Resolves once none of these workers is alive, or after timeoutMs. */
  wait(pids: number[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.#workers.add(pids, Date.now() + timeoutMs, Date.now(), resolve);
      // Look now, as a loop of its own would, and poll quickly again from this reload on.
      this.#check();
    });
  }

  #check(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const delay = this.#workers.check(Date.now());
    if (delay !== undefined) this.#timer = setTimeout(() => this.#check(), delay);
  }
}
