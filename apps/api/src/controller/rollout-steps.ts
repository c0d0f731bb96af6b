import { LABELS, legacyNetworkName, networkName, PlatError } from '@plat/core';
import { appIds, type AppRow } from '../store/apps.js';
import type { ControllerDeps } from './controller.js';
import { crashKey } from './crash-backoff.js';
import type { DynoDeaths } from './dyno-deaths.js';
import type { DynoLogFollow } from './dyno-log-follow.js';
import type { DynoSpec } from './dyno-spec.js';
import { waitUntilServing } from './readiness.js';
import type { ObservedDyno } from './reconcile.js';
import type { RouteTable } from './route-table.js';
import { routeWith, type Rollout, type Teardown } from './rollout-plan.js';

/** A deploy's clock (services/phase-timer.ts): the rollout marks start, ready and route on it. */
export interface PhaseMarks {
  mark(phase: string): void;
}

/** What the steps share with the controller that plans them. */
export interface RolloutParts {
  deps: ControllerDeps;
  routes: RouteTable;
  output: DynoLogFollow;
  deaths: DynoDeaths;
  /** Containers on their way out: no longer the app's dynos, though Docker still lists them. */
  leaving: Set<string>;
  /** Web dynos started but not yet answering. */
  starting: Set<string>;
}

/**
 * Carries out the controller's plans (rollout-plan.ts) on the runtime and
 * the router: dynos started and waited for, routed, retired after the
 * router drains; or an app's dynos and networks torn down.
 */
export class RolloutSteps {
  readonly #parts: RolloutParts;
  /** Old dynos being stopped once the router drained. */
  readonly #stopping = new Set<Promise<void>>();

  constructor(parts: RolloutParts) {
    this.#parts = parts;
  }

  /** Waits for old dynos that are still being stopped. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#stopping]);
  }

  /** Stops and removes a container we no longer want; its death is not a crash. */
  async retire(id: string, graceSeconds: number): Promise<void> {
    this.#parts.leaving.add(id);
    try {
      await this.#parts.deps.runtime.removeDyno(id, graceSeconds);
      this.#parts.deaths.dead.delete(id);
    } finally {
      // Docker reports the death a moment later; keep recognising it.
      setTimeout(() => this.#parts.leaving.delete(id), 60_000).unref();
    }
  }

  /** Destroyed (or being destroyed) or renamed: nothing of this name should run or be routed. */
  async tearDown(appName: string, plan: Teardown): Promise<void> {
    const { sql, runtime, settings } = this.#parts.deps;
    await this.#parts.routes.remove(appName);
    this.#parts.deps.logs.forget(appName);
    // Without waiting for the router's old workers to drain: the request that
    // destroys or renames the app may be in flight through one of them.
    await Promise.all(plan.retire.map((dyno) => this.retire(dyno.id, 30)));
    // A network named by the old name (before networks were named by id)
    // still holds the add-ons, which are on the id-named one as well.
    await runtime.detachAddons(legacyNetworkName(settings.instance, appName));
    await runtime.removeNetwork(legacyNetworkName(settings.instance, appName));
    await runtime.removeOrphanNetworks(() => appIds(sql));
  }

  /** Carries a rollout out in the plan's order: clear, start and wait, route, then retire. */
  async rollOut(app: AppRow, plan: Rollout, timer?: PhaseMarks): Promise<void> {
    const { runtime, router, settings } = this.#parts.deps;
    this.#parts.deps.logs.knowApp(app.name, app.id);
    const network = networkName(settings.instance, app.id);
    // Only a dyno about to start needs the network; running ones are on it already.
    if (plan.start.length > 0) await runtime.ensureNetwork(network, app.name, app.id);
    // No web dyno wanted (scaled to zero, asleep): no spare network sandbox kept for one either.
    const web = [...plan.start, ...plan.held].some((spec) => spec.web) || plan.keep.some((d) => d.process === 'web');
    if (!web) await runtime.dropSpareSandbox?.(network);
    this.#parts.deaths.crashes.retain(app.name, plan.crashKeys);
    await Promise.all(plan.clear.map((dyno) => this.retire(dyno.id, 0)));

    // Phases of a timed rollout: every container created and started, every web dyno ready, routed.
    let creating = plan.start.length;
    const created = () => {
      creating -= 1;
      if (creating === 0) timer?.mark('start');
    };
    const results = await Promise.allSettled(plan.start.map((spec) => this.#startDyno(spec, created)));
    if (plan.start.length > 0) timer?.mark('ready');
    const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) {
      // The dynos serving before keep serving: nothing is routed or retired.
      await Promise.all(started.map((dyno) => this.retire(dyno.id, 5)));
      throw new PlatError('release_failed', (failure.reason as Error).message);
    }
    // Adopted dynos (after a platd restart) resume where the stored log ends.
    const adopted = plan.keep.some((dyno) => !this.#parts.output.has(dyno.id));
    const since = adopted ? await this.#parts.deps.logs.lastAt(app.id) : undefined;
    for (const dyno of plan.keep) this.#parts.output.follow(app.id, dyno, since);
    await this.#parts.routes.put(app.name, routeWith(plan.route, started));
    timer?.mark('route');
    // Ready and routed: a web dyno is up only now (a dyno of another type was up once started).
    for (const spec of plan.start)
      if (spec.web)
        this.#parts.deps.dynoChanged?.({ app: spec.app, dyno: spec.dyno, releaseId: spec.releaseId, state: 'up' });

    // Only once the router's old workers are gone: they may still send requests to these dynos.
    const drained = router.drained();
    for (const dyno of plan.retire) {
      // Leaving from now: `plat ps` and later converges no longer count it while the router drains.
      this.#parts.leaving.add(dyno.id);
      const stopping = drained
        .then(() => this.retire(dyno.id, 30))
        .catch((error: Error) => this.#parts.deps.log(`stopping ${dyno.containerName} failed: ${error.message}`))
        .finally(() => this.#stopping.delete(stopping));
      this.#stopping.add(stopping);
    }
  }

  async #startDyno(spec: DynoSpec, created?: () => void): Promise<ObservedDyno> {
    const dyno = await this.#parts.deps.runtime.ensureDyno(spec).finally(created);
    this.#parts.output.follow(spec.labels[LABELS.appId]!, dyno, undefined);
    this.#parts.deaths.crashes.started(crashKey(spec.app, spec.releaseId, spec.dyno), Date.now());
    this.#parts.deps.dynoChanged?.({ app: spec.app, dyno: spec.dyno, releaseId: spec.releaseId, state: 'starting' });
    if (!spec.web) {
      this.#parts.deps.dynoChanged?.({ app: spec.app, dyno: spec.dyno, releaseId: spec.releaseId, state: 'up' });
      return dyno;
    }
    this.#parts.starting.add(dyno.id);
    try {
      return await this.#waitUntilReady(spec, dyno);
    } finally {
      this.#parts.starting.delete(dyno.id);
    }
  }

  async #waitUntilReady(spec: DynoSpec, dyno: ObservedDyno): Promise<ObservedDyno> {
    const { runtime, settings } = this.#parts.deps;
    if (!dyno.port) throw new Error(`${spec.dyno} has no address the router can reach`);
    const readiness = await waitUntilServing(
      { port: dyno.port, ...(dyno.address ? { host: dyno.address } : {}) },
      {
        ...(spec.readinessPath ? { path: spec.readinessPath } : {}),
        timeoutMs: settings.bootTimeoutMs,
        stillRunning: async () => (await runtime.dynoState(dyno.id)).running,
        // Docker's events tell of a death at once; the inspect above is the slow fallback.
        exited: () => this.#parts.deaths.dead.has(dyno.id),
      },
    );
    if (readiness.ready) return dyno;
    const state = await runtime.dynoState(dyno.id).catch(() => ({ running: false, exitCode: -1 }));
    const tail = (await runtime.dynoLogTail(dyno.id, 30).catch(() => '')).trim();
    await this.retire(dyno.id, 5);
    const within = `within ${Math.round(settings.bootTimeoutMs / 1000)} s`;
    const reason =
      readiness.reason === 'exited'
        ? `H10: ${spec.dyno} crashed at boot (exit ${state.exitCode})`
        : spec.readinessPath
          ? `R10: ${spec.dyno} did not answer ${spec.readinessPath} with 2xx or 3xx ${within}`
          : `R10: ${spec.dyno} did not answer on $PORT ${within}`;
    throw new Error(tail ? `${reason}; its last output:\n${tail}` : reason);
  }
}
