import { networkName, PlatError } from '@plat/core';
import type { Settings } from '../config.js';
import type { LogHub } from '../logs/log-hub.js';
import type { ReleaseRow } from '../store/releases.js';
import { HEROKU_METADATA, oneOffDyno, specRelease, type DynoSpec, type OneOffKind } from './dyno-spec.js';
import { OneOffSlots } from './one-off-slots.js';
import { planOneOffSweep } from './one-off-sweep.js';
import type { AttachSession, Runtime } from './runtime.js';

export interface OneOffDeps {
  runtime: Runtime;
  settings: Pick<Settings, 'instance' | 'maxOneOffs' | 'maxRunSeconds'>;
  logs: LogHub;
  /** A platform event in the app's log (see Controller.event). */
  event: (app: string, dyno: string, line: string) => void;
}

export interface OneOffApp {
  id: string;
  name: string;
  /** Labs features (heroku-metadata), when the caller has the app's row. */
  features?: string[];
}

export interface OneOffRunOptions {
  kind: OneOffKind;
  command: string;
  /** Each line it prints (it goes to the app's log as well). */
  onLine: (line: string) => void;
  /** Killed after this long (15 minutes unless given). */
  timeoutMs?: number;
}

/** What a one-off dyno runs: which app and release, why, and its command. */
export interface OneOffRequest {
  app: OneOffApp;
  release: ReleaseRow;
  kind: OneOffKind;
  command: string;
}

/**
 * One-off dynos: the release phase, scheduler jobs, `plat run` attached and
 * detached. They are not the formation's, so converging never touches them;
 * `plat run`s count against PLAT_MAX_ONE_OFFS, detached ones stop after
 * PLAT_MAX_RUN_SECONDS.
 */
export class OneOffDynos {
  readonly #deps: OneOffDeps;
  /** `plat run` one-offs per app, against PLAT_MAX_ONE_OFFS. */
  readonly #slots = new OneOffSlots();

  constructor(deps: OneOffDeps) {
    this.#deps = deps;
  }

  /** One-off dynos of the app this platd runs now. */
  inUse(appId: string): number {
    return this.#slots.inUse(appId);
  }

  /** Removes one-off containers an earlier platd left: finished ones, and running ones past PLAT_MAX_RUN_SECONDS. */
  async sweep(now = new Date()): Promise<void> {
    const { runtime, settings } = this.#deps;
    const sweep = planOneOffSweep(await runtime.listOneOffs(), now, settings.maxRunSeconds * 1000);
    for (const { remove, expired } of sweep) {
      await runtime.removeDyno(remove.id, 0);
      if (expired) this.#deps.event(remove.app, remove.dyno, stoppedAfter(settings.maxRunSeconds));
    }
  }

  /** Runs the command in a one-off dyno of the release and resolves with its exit code. */
  async run(app: OneOffApp, release: ReleaseRow, options: OneOffRunOptions): Promise<number> {
    const { logs, runtime } = this.#deps;
    const spec = await this.#spec({ app, release, kind: options.kind, command: options.command });
    logs.knowApp(app.name, app.id);
    return runtime.runOneOff(spec, {
      onLine: (line) => {
        logs.write(app.id, { source: 'app', dyno: spec.dyno, line });
        options.onLine(line);
      },
      timeoutMs: options.timeoutMs ?? 15 * 60_000,
    });
  }

  /** `plat run:detached`: a one-off dyno whose output goes to the app's log. */
  async startDetached(app: OneOffApp, release: ReleaseRow, command: string): Promise<{ dyno: string }> {
    const { logs, runtime, settings, event } = this.#deps;
    const { spec, free } = await this.#takeSlot({ app, release, kind: 'run', command });
    logs.knowApp(app.name, app.id);
    event(app.name, spec.dyno, `Starting process with command \`${command}\``);
    const started = Date.now();
    const maxMs = settings.maxRunSeconds * 1000;
    const onLine = (line: string) => logs.write(app.id, { source: 'app', dyno: spec.dyno, line });
    void runtime
      .runOneOff(spec, { onLine, timeoutMs: maxMs })
      .then((code) =>
        event(
          app.name,
          spec.dyno,
          Date.now() - started >= maxMs
            ? `${stoppedAfter(settings.maxRunSeconds)}; status ${code}`
            : `Process exited with status ${code}`,
        ),
      )
      .catch((error: Error) => event(app.name, spec.dyno, `Process failed: ${error.message}`))
      .finally(free);
    return { dyno: spec.dyno };
  }

  /** `plat run`: a one-off dyno attached to the caller's terminal. */
  async attach(
    app: OneOffApp,
    release: ReleaseRow,
    command: string,
    session: AttachSession,
  ): Promise<{ dyno: string; exitCode: Promise<number> }> {
    const { runtime, event } = this.#deps;
    const { spec, free } = await this.#takeSlot({ app, release, kind: 'run', command });
    event(app.name, spec.dyno, `Starting process with command \`${command}\``);
    const exitCode = runtime
      .attachOneOff(spec, session)
      .then((code) => {
        event(app.name, spec.dyno, `Process exited with status ${code}`);
        return code;
      })
      .finally(free);
    return { dyno: spec.dyno, exitCode };
  }

  /** A `plat run` slot and its dyno's spec; the slot is freed again if the spec cannot be made. */
  async #takeSlot(request: OneOffRequest): Promise<{ spec: DynoSpec; free: () => void }> {
    const untracked = await this.#untracked(request.app.name);
    const free = this.#slots.take(request.app, { max: this.#deps.settings.maxOneOffs, untracked });
    try {
      return { spec: await this.#spec(request), free };
    } catch (error) {
      free();
      throw error;
    }
  }

  /** One-offs of the app still running that an earlier platd started: they count against PLAT_MAX_ONE_OFFS too. */
  async #untracked(appName: string): Promise<number> {
    const oneOffs = await this.#deps.runtime.listOneOffs();
    return oneOffs.filter((oneOff) => oneOff.app === appName && oneOff.running && !oneOff.tracked).length;
  }

  async #spec(request: OneOffRequest): Promise<DynoSpec> {
    const { app, release, kind, command } = request;
    const { runtime, settings } = this.#deps;
    if (!release.image) throw new PlatError('invalid_params', `Release v${release.version} has no image to run.`);
    await runtime.ensureNetwork(networkName(settings.instance, app.id), app.name, app.id);
    return oneOffDyno({
      instance: settings.instance,
      app: app.name,
      appId: app.id,
      release: specRelease({ ...release, image: release.image }),
      herokuMetadata: app.features?.includes(HEROKU_METADATA) ?? false,
      kind,
      command,
      number: 1000 + Math.floor(Math.random() * 9000),
    });
  }
}

function stoppedAfter(maxRunSeconds: number): string {
  return `Process stopped after ${maxRunSeconds} s, the longest a detached run may take (PLAT_MAX_RUN_SECONDS)`;
}
