import { crashKey, CrashTracker } from './crash-backoff.js';
import type { ObservedDyno } from './reconcile.js';
import type { DynoDeath } from './runtime.js';
import { RESTART_DELAY_S } from './swarm/service-spec.js';
import type { TaskRecord } from './swarm/services.js';

/** After a swarm task's container ended: at once (its port leaves the route), then as a replacement may be up. */
const SWARM_RECHECKS_MS = [0, 7_000, 12_000, 20_000, 35_000];

export interface DynoDeathsDeps {
  log: (line: string) => void;
  /** A platform event in the app's log: `plat[web.2]: crashed (exit 1), restarting in 4s`. */
  event: (app: string, dyno: string, line: string) => void;
  dynoChanged?: (change: { app: string; dyno: string; releaseId: string; exitCode: number; state: 'crashed' }) => void;
  /** The app's converge, queued behind its other tasks. */
  converge: (app: string) => Promise<void>;
  /** Its output is followed no more. */
  unfollow: (id: string) => void;
  swarm: boolean;
  /** Containers on their way out: their deaths are no crash. */
  leaving: ReadonlySet<string>;
  /** Web dynos started but not yet answering: a death is a failed boot. */
  starting: ReadonlySet<string>;
}

/**
 * What platd does when a dyno's container dies on its own: the crash is
 * recorded (backoff, restart counts, crash loops), told (the app's log, the
 * dyno webhook) and the app converged once its backoff allows.
 */
export class DynoDeaths {
  readonly #deps: DynoDeathsDeps;
  readonly crashes = new CrashTracker();
  /** Containers Docker reported dead: its listing can still say running for a moment. */
  readonly dead = new Set<string>();

  constructor(deps: DynoDeathsDeps) {
    this.#deps = deps;
  }

  /** Restarts of the dyno's crashes, for plat ps. */
  restarts(appName: string, dyno: ObservedDyno): number {
    return this.crashes.get(crashKey(appName, dyno.releaseId, dyno.dyno))?.restarts ?? 0;
  }

  /** Dynos crashing again and again now (the alerts' crash loop), from the crash backoff. */
  loops(now: number, minRestarts: number): { app: string; dyno: string; restarts: number; exitCode: number }[] {
    return this.crashes.looping(now, minRestarts).map(({ key, record }) => {
      const [app = '', , dyno = ''] = key.split('/');
      return { app, dyno, restarts: record.restarts, exitCode: record.exitCode };
    });
  }

  died(death: DynoDeath): void {
    const deps = this.#deps;
    this.dead.add(death.id);
    deps.unfollow(death.id);
    if (death.oneOff || !death.dyno || deps.leaving.has(death.id)) return;
    // A swarm task's container ends when Swarm stops it (a rollout, a scale) as when it crashes; Swarm
    // restarts what crashed. What platd does: route the change, now and once a replacement may be up.
    if (deps.swarm) {
      this.#recheckSwarm(death.app);
      return;
    }
    if (death.cause === 'sandbox') {
      // Not the app's doing: no crash is counted or told, and the replacement starts at once (a starting
      // dyno's rollout sees it gone and fails on its own).
      const starting = deps.starting.has(death.id);
      const line = starting
        ? 'stopped while starting: its network sandbox went away'
        : 'stopped: its network sandbox went away, restarting now';
      deps.event(death.app, death.dyno, line);
      deps.log(`${death.app} ${death.dyno} ${line}`);
      if (!starting)
        deps.converge(death.app).catch((error: Error) => {
          deps.log(`restarting ${death.app} ${death.dyno} failed: ${error.message}`);
        });
      return;
    }
    const change = { app: death.app, dyno: death.dyno, releaseId: death.releaseId, exitCode: death.exitCode };
    if (deps.starting.has(death.id)) {
      // A web dyno that dies before it answers failed its boot: the rollout waiting on it fails (H10) and
      // retires it. Seen as a crash (log, webhook), it is not held by a backoff: the next start is a user's.
      deps.event(death.app, death.dyno, `crashed at boot (exit ${death.exitCode})`);
      deps.dynoChanged?.({ ...change, state: 'crashed' });
      return;
    }
    const record = this.crashes.crashed(crashKey(death.app, death.releaseId, death.dyno), death.exitCode, Date.now());
    const delay = Math.max(0, record.retryAt - Date.now());
    const restart = delay === 0 ? 'restarting now' : `restarting in ${Math.round(delay / 1000)}s`;
    deps.event(death.app, death.dyno, `crashed (exit ${death.exitCode}), ${restart}`);
    deps.log(`${death.app} ${death.dyno} crashed (exit ${death.exitCode}), ${restart}`);
    deps.dynoChanged?.({ ...change, state: 'crashed' });
    setTimeout(() => {
      deps.converge(death.app).catch((error: Error) => {
        deps.log(`restarting ${death.app} ${death.dyno} failed: ${error.message}`);
      });
    }, delay).unref();
  }

  /**
   * A swarm task that ended on its own, on any node: a crash as on one
   * machine (the app's log, the webhook, the record `plat ps` and the
   * crash-loop alert read), though Swarm restarts it, after its fixed delay.
   */
  swarmCrashed(app: string, task: TaskRecord): void {
    const deps = this.#deps;
    const exitCode = task.exitCode ?? -1;
    this.crashes.crashed(crashKey(app, task.releaseId, task.dyno), exitCode, Date.now());
    const restart = `${task.hostname ? ` on ${task.hostname}` : ''}, Swarm restarts it in ${RESTART_DELAY_S}s`;
    deps.event(app, task.dyno, `crashed (exit ${exitCode})${restart}`);
    deps.log(`${app} ${task.dyno} crashed (exit ${exitCode})${restart}`);
    deps.dynoChanged?.({ app, dyno: task.dyno, releaseId: task.releaseId, exitCode, state: 'crashed' });
  }

  /** Converges a swarm app now and again as Swarm's replacement task may have passed its health check. */
  #recheckSwarm(app: string): void {
    for (const after of SWARM_RECHECKS_MS) {
      setTimeout(() => {
        this.#deps.converge(app).catch((error: Error) => this.#deps.log(`converging ${app} failed: ${error.message}`));
      }, after).unref();
    }
  }
}
