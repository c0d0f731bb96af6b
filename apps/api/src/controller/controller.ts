import { PlatError } from '@plat/core';
import type { Settings } from '../config.js';
import type { LogHub } from '../logs/log-hub.js';
import type { NginxRouter } from '../router/nginx.js';
import type { RouteTarget } from '../router/nginx-config.js';
import type { Sql } from '../store/database.js';
import { findApp, formation, listAppNames, } from '../store/apps.js';
import { listDomains } from '../store/domains.js';
import { currentRelease, type ReleaseRow } from '../store/releases.js';
import type { DockerRuntime, DynoDeath } from './docker-runtime.js';
import { desiredDynos, LABELS, legacyNetworkName, networkName, oneOffDyno, type DynoSpec, type OneOffKind } from './dyno-spec.js';
import { CrashTracker } from './crash-backoff.js';
import { KeyedQueue } from '@plat/core';
import { waitUntilServing } from './readiness.js';
import { planReconcile, type ObservedDyno } from './reconcile.js';
import { OneOffSlots } from './one-off-slots.js';
import { planOneOffSweep } from './one-off-sweep.js';

export interface ControllerDeps {
  sql: Sql;
  runtime: DockerRuntime;
  router: NginxRouter;
  settings: Settings;
  logs: LogHub;
  log: (line: string) => void;
}

/**
 * Makes Docker and the router match the database: each app's current release
 * and formation. Level-triggered and idempotent; one app converges at a time,
 * and old dynos stop only after their replacements serve.
 */
export class Controller {
  readonly #deps: ControllerDeps;
  readonly #queue = new KeyedQueue();
  readonly #routes = new Map<string, RouteTarget>();
  readonly #stopping = new Set<Promise<void>>();
  /** Containers on their way out: no longer the app's dynos, though Docker still lists them. */
  readonly #leaving = new Set<string>();
  /** Web dynos started but not yet answering. */
  readonly #starting = new Set<string>();
  readonly #crashes = new CrashTracker();
  /** `plat run` one-offs per app, against PLAT_MAX_ONE_OFFS. */
  readonly #oneOffs = new OneOffSlots();
  #unwatch: (() => void) | undefined;
  /** Dynos whose output is being followed into the app's log. */
  readonly #following = new Map<string, () => void>();
  /** Containers Docker reported dead: its listing can still say running for a moment. */
  readonly #dead = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
  }

  /**
   * Level-triggered upkeep: react to dynos dying (Docker events) and
   * converge every app on a timer, so anything missed is caught up.
   */
  async start(intervalMs = 30_000): Promise<void> {
    this.#unwatch = await this.#deps.runtime.watchDeaths(
      (death) => this.#onDeath(death),
      () => {
        // dockerd came back (live-restore is off: its restart stopped the dynos).
        this.#deps.log('Docker events stream reopened; converging every app');
        void this.#convergeAll();
      },
    );
    this.#timer = setInterval(() => void this.#convergeAll(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#unwatch?.();
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Restarts and exit codes of the app's crashed dynos, for plat ps. */
  crashInfo(appName: string, dyno: ObservedDyno): { restarts: number; starting: boolean } {
    return { restarts: this.#crashes.get(crashKey(appName, dyno.releaseId, dyno.dyno))?.restarts ?? 0, starting: this.#starting.has(dyno.id) };
  }

  /** Stops and removes a container we no longer want; its death is not a crash. */
  async #retire(id: string, graceSeconds: number): Promise<void> {
    this.#leaving.add(id);
    try {
      await this.#deps.runtime.removeDyno(id, graceSeconds);
      this.#dead.delete(id);
    } finally {
      // Docker reports the death a moment later; keep recognising it.
      setTimeout(() => this.#leaving.delete(id), 60_000).unref();
    }
  }

  /** A platform event in the app's log: `plat[web.2]: crashed (exit 1), restarting in 4s`. */
  event(app: string, dyno: string, line: string): void {
    const appId = this.#deps.logs.idOf(app);
    if (appId) this.#deps.logs.write(appId, { source: 'plat', dyno, line });
  }

  #follow(appId: string, dyno: ObservedDyno, since: Date | undefined): void {
    if (this.#following.has(dyno.id)) return;
    this.#following.set(dyno.id, () => {});
    this.#deps.runtime
      .followLogs(dyno.id, since, (at, line) => this.#deps.logs.write(appId, { source: 'app', dyno: dyno.dyno, line, at }))
      .then((stop) => this.#following.set(dyno.id, stop))
      .catch(() => this.#following.delete(dyno.id));
  }

  #onDeath(death: DynoDeath): void {
    this.#dead.add(death.id);
    this.#following.get(death.id)?.();
    this.#following.delete(death.id);
    if (death.oneOff || !death.dyno || this.#leaving.has(death.id)) return;
    const record = this.#crashes.crashed(crashKey(death.app, death.releaseId, death.dyno), death.exitCode, Date.now());
    const delay = Math.max(0, record.retryAt - Date.now());
    const restart = delay === 0 ? 'restarting now' : `restarting in ${Math.round(delay / 1000)}s`;
    this.event(death.app, death.dyno, `crashed (exit ${death.exitCode}), ${restart}`);
    this.#deps.log(`${death.app} ${death.dyno} crashed (exit ${death.exitCode}), ${restart}`);
    setTimeout(() => {
      this.converge(death.app).catch((error: Error) => this.#deps.log(`restarting ${death.app} ${death.dyno} failed: ${error.message}`));
    }, delay).unref();
  }

  async #convergeAll(): Promise<void> {
    for (const name of await listAppNames(this.#deps.sql).catch(() => [])) {
      await this.converge(name).catch((error: Error) => this.#deps.log(`converging ${name} failed: ${error.message}`));
    }
    await this.sweepOneOffs().catch((error: Error) => this.#deps.log(`sweeping one-off dynos failed: ${error.message}`));
  }

  /** One-off dynos of the app this platd runs now. */
  oneOffsInUse(appId: string): number {
    return this.#oneOffs.inUse(appId);
  }

  /** One-offs of the app still running that an earlier platd started: they count against PLAT_MAX_ONE_OFFS too. */
  async #untrackedOneOffs(appName: string): Promise<number> {
    return (await this.#deps.runtime.listOneOffs()).filter((oneOff) => oneOff.app === appName && oneOff.running && !oneOff.tracked).length;
  }

  /** Removes one-off containers an earlier platd left: finished ones, and running ones past PLAT_MAX_RUN_SECONDS. */
  async sweepOneOffs(now = new Date()): Promise<void> {
    const { maxRunSeconds } = this.#deps.settings;
    for (const { remove, expired } of planOneOffSweep(await this.#deps.runtime.listOneOffs(), now, maxRunSeconds * 1000)) {
      await this.#deps.runtime.removeDyno(remove.id, 0);
      if (expired) this.event(remove.app, remove.dyno, `Process stopped after ${maxRunSeconds} s, the longest a detached run may take (PLAT_MAX_RUN_SECONDS)`);
    }
  }

  hostnameOf(app: string): string {
    return `${app}.${this.#deps.settings.domain}`;
  }

  /**
   * Converges one app, to `release` when given (a rollout: the release is
   * not current until this resolves), else to its current release.
   * Rejects with release_failed when new web dynos do not come up; the
   * dynos already serving are left as they were.
   */
  converge(appName: string, release?: ReleaseRow): Promise<void> {
    return this.#queue.run(appName, () => this.#converge(appName, release));
  }

  /** Adopts what runs after a platd start and converges every app. */
  async restoreAll(): Promise<void> {
    for (const name of await listAppNames(this.#deps.sql)) {
      try {
        await this.converge(name);
      } catch (error) {
        this.#deps.log(`converging ${name} failed: ${(error as Error).message}`);
      }
    }
    await this.#deps.router.apply([...this.#routes.values()]);
  }

  /** Waits for old dynos that are still being stopped. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#stopping]);
  }

  /**
   * Runs a command in a one-off dyno of the release (the release phase, plat
   * run) and resolves with its exit code.
   */
  async runOneOff(
    app: { id: string; name: string },
    release: ReleaseRow,
    options: { kind: OneOffKind; command: string; onLine: (line: string) => void; timeoutMs?: number },
  ): Promise<number> {
    const spec = await this.#oneOffSpec(app, release, options.kind, options.command);
    this.#deps.logs.knowApp(app.name, app.id);
    return this.#deps.runtime.runOneOff(spec, {
      onLine: (line) => {
        this.#deps.logs.write(app.id, { source: 'app', dyno: spec.dyno, line });
        options.onLine(line);
      },
      timeoutMs: options.timeoutMs ?? 15 * 60_000,
    });
  }

  /** `plat run:detached`: a one-off dyno whose output goes to the app's log. */
  async startDetached(app: { id: string; name: string }, release: ReleaseRow, command: string): Promise<{ dyno: string }> {
    const { maxOneOffs, maxRunSeconds } = this.#deps.settings;
    const free = this.#oneOffs.take(app, { max: maxOneOffs, untracked: await this.#untrackedOneOffs(app.name) });
    const spec = await this.#oneOffSpec(app, release, 'run', command).catch((error: unknown) => {
      free();
      throw error;
    });
    this.#deps.logs.knowApp(app.name, app.id);
    this.event(app.name, spec.dyno, `Starting process with command \`${command}\``);
    const started = Date.now();
    void this.#deps.runtime
      .runOneOff(spec, { onLine: (line) => this.#deps.logs.write(app.id, { source: 'app', dyno: spec.dyno, line }), timeoutMs: maxRunSeconds * 1000 })
      .then((code) =>
        this.event(
          app.name,
          spec.dyno,
          Date.now() - started >= maxRunSeconds * 1000
            ? `Process stopped after ${maxRunSeconds} s, the longest a detached run may take (PLAT_MAX_RUN_SECONDS); status ${code}`
            : `Process exited with status ${code}`,
        ),
      )
      .catch((error: Error) => this.event(app.name, spec.dyno, `Process failed: ${error.message}`))
      .finally(free);
    return { dyno: spec.dyno };
  }

  /** `plat run`: a one-off dyno attached to the caller's terminal. */
  async attachOneOff(
    app: { id: string; name: string },
    release: ReleaseRow,
    command: string,
    session: Parameters<DockerRuntime['attachOneOff']>[1],
  ): Promise<{ dyno: string; exitCode: Promise<number> }> {
    const free = this.#oneOffs.take(app, { max: this.#deps.settings.maxOneOffs, untracked: await this.#untrackedOneOffs(app.name) });
    const spec = await this.#oneOffSpec(app, release, 'run', command).catch((error: unknown) => {
      free();
      throw error;
    });
    this.event(app.name, spec.dyno, `Starting process with command \`${command}\``);
    const exitCode = this.#deps.runtime
      .attachOneOff(spec, session)
      .then((code) => {
        this.event(app.name, spec.dyno, `Process exited with status ${code}`);
        return code;
      })
      .finally(free);
    return { dyno: spec.dyno, exitCode };
  }

  async #oneOffSpec(app: { id: string; name: string }, release: ReleaseRow, kind: OneOffKind, command: string): Promise<DynoSpec> {
    const { runtime, settings } = this.#deps;
    if (!release.image) throw new PlatError('invalid_params', `Release v${release.version} has no image to run.`);
    await runtime.ensureNetwork(networkName(settings.instance, app.id), app.name, app.id);
    return oneOffDyno({
      instance: settings.instance,
      app: app.name,
      appId: app.id,
      release: { id: release.id, version: release.version, image: release.image, config: release.config, processTypes: release.process_types },
      kind,
      command,
      number: 1000 + Math.floor(Math.random() * 9000),
    });
  }

  /** Removes the app's images that no kept release uses, so disks do not fill. */
  async pruneImages(appId: string, keep: Set<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const tag of await this.#deps.runtime.appImageTags(appId)) {
      if (!keep.has(tag) && (await this.#deps.runtime.removeImageTag(tag))) removed.push(tag);
    }
    return removed;
  }

  pingDocker(): Promise<void> {
    return this.#deps.runtime.ping();
  }

  routerPid(): number | undefined {
    return this.#deps.router.runningPid();
  }

  removeAppImages(appId: string): Promise<void> {
    return this.#deps.runtime.removeAppImages(appId);
  }

  /** The app's dynos as Docker has them, less those being stopped. */
  async dynos(appName: string): Promise<ObservedDyno[]> {
    return (await this.#deps.runtime.listDynos(appName)).filter((dyno) => !this.#leaving.has(dyno.id));
  }

  /** Replaces one dyno (e.g. `web.2`): its container goes, the formation brings it back. */
  restartDyno(appName: string, dyno: string): Promise<void> {
    return this.#queue.run(appName, async () => {
      const victims = (await this.#deps.runtime.listDynos(appName)).filter((d) => d.dyno === dyno);
      await Promise.all(victims.map((d) => this.#retire(d.id, 30)));
      await this.#converge(appName);
    });
  }

  async #converge(appName: string, target?: ReleaseRow): Promise<void> {
    const { sql, runtime, router, settings } = this.#deps;
    const app = await findApp(sql, appName);
    const actual = (await runtime.listDynos(appName))
      .filter((dyno) => !this.#leaving.has(dyno.id))
      .map((dyno) => (this.#dead.has(dyno.id) ? { ...dyno, running: false } : dyno));
    if (!app || app.destroying) {
      // Destroyed (or being destroyed) or renamed: nothing of this name should run or be routed.
      this.#routes.delete(appName);
      await router.apply([...this.#routes.values()]);
      this.#deps.logs.forget(appName);
      await Promise.all(actual.map((dyno) => this.#retire(dyno.id, 30)));
      // A network named by the old name (before networks were named by id)
      // still holds the add-ons, which are on the id-named one as well.
      await runtime.detachAddons(legacyNetworkName(settings.instance, appName));
      await runtime.removeNetwork(legacyNetworkName(settings.instance, appName));
      await runtime.removeOrphanNetworks(async () => new Set((await sql<{ id: string }[]>`select id from apps`).map((row) => row.id)));
      return;
    }
    this.#deps.logs.knowApp(appName, app.id);
    const release = target ?? (await currentRelease(sql, app.id));
    const desired = release?.image
      ? desiredDynos({
          instance: settings.instance,
          app: appName,
          appId: app.id,
          release: { id: release.id, version: release.version, image: release.image, config: release.config, processTypes: release.process_types },
          formation: await formation(sql, app.id),
        })
      : [];
    const plan = planReconcile(desired, actual);
    await runtime.ensureNetwork(networkName(settings.instance, app.id), appName, app.id);
    // A crashed dyno waits out its backoff; its dead container stays, for plat ps.
    const now = Date.now();
    this.#crashes.retain(new Set([...desired, ...actual].map((d) => crashKey(appName, d.releaseId, d.dyno))));
    const held = new Set(plan.start.filter((spec) => this.#crashes.holding(crashKey(appName, spec.releaseId, spec.dyno), now)).map((spec) => spec.key));
    const toStart = plan.start.filter((spec) => !held.has(spec.key));
    // Dead containers serve nothing.
    await Promise.all(plan.remove.filter((dyno) => !dyno.running && !held.has(dyno.key)).map((dyno) => this.#retire(dyno.id, 0)));

    const results = await Promise.allSettled(toStart.map((spec) => this.#startDyno(spec)));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
    if (failures.length > 0) {
      const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      await Promise.all(started.map((dyno) => this.#retire(dyno.id, 5)));
      throw new PlatError('release_failed', failures[0]!.message);
    }
    const started = results.map((result) => (result as PromiseFulfilledResult<ObservedDyno>).value);
    // Adopted dynos (after a platd restart) resume where the stored log ends.
    const since = plan.keep.some((dyno) => !this.#following.has(dyno.id)) ? await this.#deps.logs.lastAt(app.id) : undefined;
    for (const dyno of plan.keep) this.#follow(app.id, dyno, since);
    const serving = [...plan.keep, ...started].filter((dyno) => dyno.process === 'web' && dyno.hostPort);
    const domains = (await listDomains(sql, app.id)).map((domain) => domain.hostname);
    this.#routes.set(appName, {
      app: appName,
      hostnames: [this.hostnameOf(appName), ...domains],
      dynos: serving.map((dyno) => ({ name: dyno.dyno, port: dyno.hostPort! })),
      maintenance: app.maintenance,
    });
    await router.apply([...this.#routes.values()]);

    for (const dyno of plan.remove.filter((d) => d.running)) {
      const stopping = this.#retire(dyno.id, 30)
        .catch((error: Error) => this.#deps.log(`stopping ${dyno.containerName} failed: ${error.message}`))
        .finally(() => this.#stopping.delete(stopping));
      this.#stopping.add(stopping);
    }
  }

  async #startDyno(spec: DynoSpec): Promise<ObservedDyno> {
    const dyno = await this.#deps.runtime.ensureDyno(spec);
    this.#follow(spec.labels[LABELS.appId]!, dyno, undefined);
    this.#crashes.started(crashKey(spec.app, spec.releaseId, spec.dyno), Date.now());
    if (!spec.web) return dyno;
    this.#starting.add(dyno.id);
    try {
      return await this.#waitUntilReady(spec, dyno);
    } finally {
      this.#starting.delete(dyno.id);
    }
  }

  async #waitUntilReady(spec: DynoSpec, dyno: ObservedDyno): Promise<ObservedDyno> {
    const { runtime, settings } = this.#deps;
    if (!dyno.hostPort) throw new Error(`${spec.dyno} has no published port`);
    const readiness = await waitUntilServing(dyno.hostPort, {
      timeoutMs: settings.bootTimeoutMs,
      stillRunning: async () => (await runtime.dynoState(dyno.id)).running,
    });
    if (readiness.ready) return dyno;
    const state = await runtime.dynoState(dyno.id).catch(() => ({ running: false, exitCode: -1 }));
    const tail = (await runtime.dynoLogTail(dyno.id, 30).catch(() => '')).trim();
    await this.#retire(dyno.id, 5);
    const reason =
      readiness.reason === 'exited'
        ? `H10: ${spec.dyno} crashed at boot (exit ${state.exitCode})`
        : `R10: ${spec.dyno} did not answer on $PORT within ${Math.round(settings.bootTimeoutMs / 1000)} s`;
    throw new Error(tail ? `${reason}; its last output:\n${tail}` : reason);
  }
}

function crashKey(app: string, releaseId: string, dyno: string): string {
  return `${app}/${releaseId}/${dyno}`;
}
