import { KeyedQueue } from '@plat/core';
import type { Settings } from '../config.js';
import type { LogHub } from '../logs/log-hub.js';
import type { Router, RouteTarget } from '../router/router.js';
import type { Sql } from '../store/database.js';
import { findApp, formation, listAppNames, type AppRow, type FormationRow } from '../store/apps.js';
import { listDomains } from '../store/domains.js';
import { servableCertificates } from '../store/certificates.js';
import { clearSleeping, sleepingSince } from '../store/eco-sleep.js';
import { currentRelease, type ReleaseRow } from '../store/releases.js';
import { DynoDeaths } from './dyno-deaths.js';
import { desiredDynos, HEROKU_METADATA, specRelease, type DynoSpec } from './dyno-spec.js';
import { webAsleep } from './eco-sleep-plan.js';
import { OneOffDynos } from './one-off-dynos.js';
import type { ObservedDyno } from './reconcile.js';
import { planRollout, routeWith, type RolloutPlan } from './rollout-plan.js';
import { type PhaseMarks, RolloutSteps } from './rollout-steps.js';
import { RouteTable } from './route-table.js';
import { DynoLogFollow } from './dyno-log-follow.js';
import type { Runtime } from './runtime.js';
import { fingerprint, fullPassDue, groupByApp, unchangedSince } from './tick-plan.js';
import type { TaskRecord } from './swarm/services.js';
import { convergeSwarmApp } from './swarm/swarm-converge.js';
import type { SwarmFormation } from './swarm/swarm-formation.js';

export interface ControllerDeps {
  sql: Sql;
  runtime: Runtime;
  router: Router;
  settings: Settings;
  logs: LogHub;
  log: (line: string) => void;
  /** A formation dyno started, came up or crashed: the live `dyno` event; but for `up`, its webhook (platform.ts). */
  dynoChanged?: (change: DynoChange) => void;
  /** PLAT_RUNTIME=swarm: the app's formation is Swarm services, converged by swarm/swarm-formation.ts. */
  swarm?: SwarmFormation;
}

/** Every app's listed dynos, and each app's turns when listed. */
interface Listing {
  byApp: Map<string, ObservedDyno[]>;
  turns: Map<string, number>;
}

interface Listed {
  dynos: ObservedDyno[];
  turn: number;
}

export interface DynoChange {
  app: string;
  dyno: string;
  releaseId: string;
  /**
   * `up`: a web dyno answers and is routed, or another type's container has started.
   * `sleeping`: an eco app's web dyno stopped for want of requests; a wake starts it again (`starting`).
   */
  state: 'starting' | 'up' | 'crashed' | 'sleeping';
  exitCode?: number;
}

/**
 * Makes Docker and the router match the database: each app's current release
 * and formation. Level-triggered and idempotent; one app converges at a time,
 * and old dynos stop only after their replacements serve.
 */
export class Controller {
  readonly #deps: ControllerDeps;
  readonly #queue = new KeyedQueue();
  readonly #routes: RouteTable;
  /** Containers on their way out: no longer the app's dynos, though Docker still lists them. */
  readonly #leaving = new Set<string>();
  /** Web dynos started but not yet answering. */
  readonly #starting = new Set<string>();
  readonly #deaths: DynoDeaths;
  readonly #steps: RolloutSteps;
  /** One-off dynos (the release phase, plat run, the scheduler's jobs) this platd runs. */
  readonly oneOffs: OneOffDynos;
  #unwatch: (() => void) | undefined;
  readonly #output: DynoLogFollow;
  #timer: NodeJS.Timeout | undefined;
  /** Each app's queued tasks, counted as they start and end: a listing taken before is stale once this moved. */
  readonly #turns = new Map<string, number>();
  /** Apps whose last converge found nothing to do, with the containers it saw (tick-plan.ts). */
  readonly #quiet = new Map<string, string>();
  #ticks = 0;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#routes = new RouteTable(deps.router);
    this.#output = new DynoLogFollow(deps);
    this.oneOffs = new OneOffDynos({ ...deps, event: (app, dyno, line) => this.event(app, dyno, line) });
    this.#deaths = new DynoDeaths({
      ...deps,
      event: (app, dyno, line) => this.event(app, dyno, line),
      converge: (app) => this.converge(app),
      unfollow: (id) => this.#output.stop(id),
      swarm: Boolean(deps.swarm),
      leaving: this.#leaving,
      starting: this.#starting,
    });
    this.#steps = new RolloutSteps({
      deps,
      routes: this.#routes,
      output: this.#output,
      deaths: this.#deaths,
      leaving: this.#leaving,
      starting: this.#starting,
    });
  }

  /**
   * Level-triggered upkeep: react to dynos dying (Docker events) and
   * converge every app on a timer, so anything missed is caught up.
   */
  async start(intervalMs = 30_000): Promise<void> {
    this.#unwatch = await this.#deps.runtime.watchDeaths(
      (death) => this.#deaths.died(death),
      () => {
        // dockerd came back (live-restore is off: its restart stopped the dynos).
        this.#deps.log('Docker events stream reopened; converging every app');
        this.#quiet.clear();
        void this.convergeAll();
      },
    );
    this.#timer = setInterval(() => void this.convergeAll(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#unwatch?.();
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Restarts and exit codes of the app's crashed dynos, for plat ps. */
  crashInfo(appName: string, dyno: ObservedDyno): { restarts: number; starting: boolean } {
    return { restarts: this.#deaths.restarts(appName, dyno), starting: this.#starting.has(dyno.id) };
  }

  /** Dynos crashing again and again now (the alerts' crash loop), from the crash backoff. */
  crashLoops(now: number, minRestarts = 3): { app: string; dyno: string; restarts: number; exitCode: number }[] {
    return this.#deaths.loops(now, minRestarts);
  }

  /** A platform event in the app's log: `plat[web.2]: crashed (exit 1), restarting in 4s`. */
  event(app: string, dyno: string, line: string): void {
    const appId = this.#deps.logs.idOf(app);
    if (appId) this.#deps.logs.write(appId, { source: 'plat', dyno, line });
  }

  /**
   * The periodic converge, costing per change rather than per app: one Docker
   * listing for every app; an app whose containers are as its last converge
   * left them, with nothing to do, is passed over, except on its full pass
   * (one tick in FULL_PASS_EVERY). Changes in the database converge their own app.
   */
  async convergeAll(): Promise<void> {
    const tick = this.#ticks++;
    const names = await listAppNames(this.#deps.sql).catch(() => undefined);
    const listing = await this.#listAll().catch(() => undefined);
    if (names && listing) await this.#sweepStrays(names, listing);
    for (const name of names ?? []) {
      const listed = listing?.byApp.get(name) ?? [];
      const fullPass = fullPassDue(name, tick);
      if (listing && unchangedSince(this.#quiet.get(name), this.#adjusted(listed), fullPass)) continue;
      const observed = listing ? { dynos: listed, turn: listing.turns.get(name) ?? 0 } : undefined;
      await this.#queued(name, () => this.#converge(name, undefined, observed)).catch((error: Error) =>
        this.#deps.log(`converging ${name} failed: ${error.message}`),
      );
    }
    await this.oneOffs.sweep().catch((error: Error) => {
      this.#deps.log(`sweeping one-off dynos failed: ${error.message}`);
    });
    await this.#deps.runtime.sweepSandboxes?.().catch((error: Error) => {
      this.#deps.log(`sweeping network sandboxes failed: ${error.message}`);
    });
  }

  /** The app's route as last applied: its routed web dynos, or asleep. */
  routeOf(appName: string): RouteTarget | undefined {
    return this.#routes.get(appName);
  }

  hostnameOf(app: string): string {
    return `${app}.${this.#deps.settings.domain}`;
  }

  /**
   * Converges one app, to `release` when given (a rollout: the release is
   * not current until this resolves), else to its current release.
   * Rejects with release_failed when new web dynos do not come up; the
   * dynos already serving are left as they were. `serving` runs once the
   * release's dynos serve, before any other task of the app: the caller
   * makes the release current there, so a converge queued meanwhile (a
   * tick, a scale) runs it, not the release before.
   */
  converge(
    appName: string,
    release?: ReleaseRow,
    options: { timer?: PhaseMarks; serving?: () => Promise<void> } = {},
  ): Promise<void> {
    return this.#queued(appName, async () => {
      await this.#converge(appName, release, undefined, options.timer);
      await options.serving?.();
    });
  }

  /** One task of the app's at a time; its turns are counted as it starts and ends (see #turns). */
  #queued<T>(appName: string, task: () => Promise<T>): Promise<T> {
    const turn = () => this.#turns.set(appName, (this.#turns.get(appName) ?? 0) + 1);
    return this.#queue.run(appName, async () => {
      turn();
      try {
        return await task();
      } finally {
        turn();
      }
    });
  }

  /** Every app's formation containers in one listing, and the turn each app's queue was at before it. */
  async #listAll(): Promise<Listing> {
    const turns = new Map(this.#turns);
    return { byApp: groupByApp(await this.#deps.runtime.listDynos()), turns };
  }

  /**
   * Dynos of apps with no row (destroyed while platd was down, a destroy cut
   * short): each such name converges, which tears it down. The converge reads
   * the app afresh, so one created since `names` were read is converged, not
   * removed.
   */
  async #sweepStrays(names: string[], listing: Listing): Promise<void> {
    const known = new Set(names);
    for (const [name, dynos] of listing.byApp) {
      if (known.has(name)) continue;
      const observed = { dynos, turn: listing.turns.get(name) ?? 0 };
      await this.#queued(name, () => this.#converge(name, undefined, observed)).catch((error: Error) =>
        this.#deps.log(`removing the dynos of ${name}, which has no app, failed: ${error.message}`),
      );
    }
  }

  /**
   * Adopts what runs after a platd start, in two phases: every app's route
   * from the running dynos of its current release, applied at once (one
   * reload; no app unrouted meanwhile), then a converge of each app.
   */
  async restoreAll(): Promise<void> {
    const names = await listAppNames(this.#deps.sql);
    const listing = await this.#listAll();
    for (const name of names) {
      const observed = { dynos: listing.byApp.get(name) ?? [], turn: listing.turns.get(name) ?? 0 };
      await this.#queued(name, async () => {
        const { app, plan } = await this.#plan(name, undefined, observed);
        if (plan.kind !== 'rollout' || this.#routes.has(name)) return;
        // Cut short mid-rollout: the old release's dynos serve until the converge below replaces them.
        // On a swarm, the web tasks that serve now do (a service mid-update has old and new ones).
        const { swarm } = this.#deps;
        const serving =
          swarm && app
            ? await swarm.webTasks(app.id)
            : plan.route.dynos.length > 0 || plan.route.asleep
              ? []
              : plan.retire;
        this.#routes.set(name, routeWith(plan.route, serving));
      }).catch((error: Error) => this.#deps.log(`routing ${name} failed: ${error.message}`));
    }
    await this.#routes.publish(true);
    await this.#sweepStrays(names, listing);
    const turns = new Map(this.#turns);
    for (const name of names) {
      const observed = { dynos: listing.byApp.get(name) ?? [], turn: turns.get(name) ?? 0 };
      await this.#queued(name, () => this.#converge(name, undefined, observed)).catch((error: Error) =>
        this.#deps.log(`converging ${name} failed: ${error.message}`),
      );
    }
    await this.#routes.publish(false);
  }

  /** Waits for old dynos that are still being stopped. */
  settle(): Promise<void> {
    return this.#steps.settle();
  }

  /** The app's dynos as Docker has them, less those being stopped. */
  async dynos(appName: string): Promise<ObservedDyno[]> {
    return (await this.#deps.runtime.listDynos(appName)).filter((dyno) => !this.#leaving.has(dyno.id));
  }

  /** Replaces one dyno (e.g. `web.2`): its container goes, the formation brings it back. */
  restartDyno(appName: string, dyno: string): Promise<void> {
    return this.#queued(appName, async () => {
      const victims = (await this.#deps.runtime.listDynos(appName)).filter((d) => d.dyno === dyno);
      await Promise.all(victims.map((d) => this.#steps.retire(d.id, 30)));
      await this.#converge(appName);
    });
  }

  /**
   * Plans one converge of the app from the database and Docker, and carries
   * the plan out. `listed`: the app's containers from a listing taken at its
   * queue's `turn`; listed again when another task of the app ran since.
   */
  async #converge(appName: string, target?: ReleaseRow, listed?: Listed, timer?: PhaseMarks): Promise<void> {
    this.#quiet.delete(appName);
    if (this.#deps.swarm) return this.#convergeSwarm(this.#deps.swarm, appName, target, timer);
    const { app, plan, actual } = await this.#plan(appName, target, listed);
    if (plan.kind === 'teardown') return this.#steps.tearDown(appName, plan);
    await this.#steps.rollOut(app!, plan, timer);
    const idle = [plan.start, plan.clear, plan.retire, plan.held].every((list) => list.length === 0);
    if (idle) this.#quiet.set(appName, fingerprint(actual));
  }

  /** The swarm runtime's converge: the app's services get its release and formation (swarm/swarm-converge.ts). */
  #convergeSwarm(swarm: SwarmFormation, appName: string, target?: ReleaseRow, timer?: PhaseMarks): Promise<void> {
    const context = {
      ...this.#deps,
      swarm,
      routes: this.#routes,
      output: this.#output,
      crashes: this.#deaths.crashes,
      onCrash: (app: string, task: TaskRecord) => this.#deaths.swarmCrashed(app, task),
    };
    return convergeSwarmApp({ ...context, hostname: this.hostnameOf(appName) }, appName, { target, timer });
  }

  async #plan(
    appName: string,
    target?: ReleaseRow,
    listed?: Listed,
  ): Promise<{ app: AppRow | undefined; plan: RolloutPlan; actual: ObservedDyno[] }> {
    const { sql } = this.#deps;
    const found = await findApp(sql, appName);
    const app = found && !found.destroying ? found : undefined;
    // This task's own start is one turn: any other means the listing is stale.
    const fresh = listed && this.#turns.get(appName) === listed.turn + 1;
    const actual = fresh ? this.#adjusted(listed.dynos) : await this.#observe(appName);
    const rows = app ? await formation(sql, app.id) : [];
    const since = app ? await sleepingSince(sql, app.id) : undefined;
    // An eco app asleep runs no web dyno; its formation stays as stored.
    const asleep = webAsleep(rows, since);
    // A mark from before a resize or a scale to 0: the app is awake now.
    if (app && since && !asleep) await clearSleeping(sql, app.id);
    const release = target?.image ? target : app ? await currentRelease(sql, app.id) : undefined;
    const desired = app ? this.#desired(app, release, rows) : [];
    const plan = planRollout({
      app,
      asleep,
      hostname: this.hostnameOf(appName),
      domains: app ? (await listDomains(sql, app.id)).map((domain) => domain.hostname) : [],
      certificates: app ? await servableCertificates(sql, app.id) : [],
      // A release without an image (config before the first deploy) runs nothing: the running one stays.
      desired: asleep ? desired.filter((spec) => !spec.web) : desired,
      actual,
      crashes: this.#deaths.crashes,
      now: Date.now(),
    });
    return { app, plan, actual };
  }

  /** The dynos of the release and the app's formation; none before the app has a release with an image. */
  #desired(app: AppRow, release: ReleaseRow | undefined, rows: FormationRow[]): DynoSpec[] {
    if (!release?.image) return [];
    return desiredDynos({
      instance: this.#deps.settings.instance,
      app: app.name,
      appId: app.id,
      release: specRelease({ ...release, image: release.image }),
      herokuMetadata: app.features.includes(HEROKU_METADATA),
      readinessPath: app.readiness_path,
      formation: rows,
    });
  }

  /** The app's formation containers, less those being retired; those Docker reported dead count as not running. */
  async #observe(appName: string): Promise<ObservedDyno[]> {
    return this.#adjusted(await this.#deps.runtime.listDynos(appName));
  }

  #adjusted(dynos: ObservedDyno[]): ObservedDyno[] {
    return dynos
      .filter((dyno) => !this.#leaving.has(dyno.id))
      .map((dyno) => (this.#deaths.dead.has(dyno.id) ? { ...dyno, running: false } : dyno));
  }
}
