import type { LogHub } from '../logs/log-hub.js';
import type { ObservedDyno } from './reconcile.js';
import type { Runtime } from './runtime.js';

/** Follows each dyno's output into its app's log, once per container, until the container dies. */
export class DynoLogFollow {
  readonly #runtime: Pick<Runtime, 'followLogs'>;
  readonly #logs: Pick<LogHub, 'write'>;
  /** Containers being followed, with the function that stops each. */
  readonly #following = new Map<string, () => void>();

  constructor(deps: { runtime: Pick<Runtime, 'followLogs'>; logs: Pick<LogHub, 'write'> }) {
    this.#runtime = deps.runtime;
    this.#logs = deps.logs;
  }

  has(id: string): boolean {
    return this.#following.has(id);
  }

  /** From `since` (an adopted dyno: where the stored log ends), or from its start. */
  follow(appId: string, dyno: ObservedDyno, since: Date | undefined): void {
    if (this.#following.has(dyno.id)) return;
    this.#following.set(dyno.id, () => {});
    this.#runtime
      .followLogs(dyno.id, since, (at, line) => {
        this.#logs.write(appId, { source: 'app', dyno: dyno.dyno, line, at });
      })
      .then((stop) => this.#following.set(dyno.id, stop))
      .catch(() => this.#following.delete(dyno.id));
  }

  /** The container died: its output has ended. */
  stop(id: string): void {
    this.#following.get(id)?.();
    this.#following.delete(id);
  }
}
