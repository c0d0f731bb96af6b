/**
 * An app's formation as Swarm services: one service per process type, its
 * replicas the formation's quantity. A deploy is Swarm's rolling update
 * (start-first, health-checked, rolled back when new tasks fail); this class
 * sends the specs, follows the update to its end, and reports the running
 * web tasks on the way so the router always lists the ones that serve.
 */
import { LABELS, PlatError, serviceName } from '@plat/core';
import type { FormationRow } from '../../store/apps.js';
import type { ReleaseRow } from '../../store/releases.js';
import { HEROKU_METADATA, specRelease } from '../dyno-spec.js';
import type { ObservedDyno } from '../reconcile.js';
import { serviceSpec, type ServiceInput } from './service-spec.js';
import type { SwarmServices, TaskRecord } from './services.js';
import { TaskCrashes } from './task-crashes.js';
import { type AwaitedService, latestPerSlot, rolloutVerdict, runningWebTasks, type Verdict } from './rollout-watch.js';

export interface SwarmFormationDeps {
  services: Pick<
    SwarmServices,
    'ensureService' | 'removeService' | 'listServices' | 'listTasks' | 'updateState' | 'taskContainers'
  >;
  /** What a service names for a release's local image tag: the image id, or the registry's pinned ref. */
  imageRef: (tag: string) => Promise<string>;
  /** A local image tag's ENTRYPOINT and CMD: a web process with no command runs them inside the drain shim. */
  imageCommand?: (tag: string) => Promise<string[]>;
  /** Placement constraints for every service: this node only, while no registry lets others pull. */
  placement?: () => Promise<string[]>;
  instance: string;
  /** PLAT_BOOT_TIMEOUT: how long one task may take to turn healthy. */
  bootTimeoutMs: number;
  graceSeconds: number;
  /** How often a rollout's tasks are looked at. */
  pollMs?: number;
}

export interface FormationTarget {
  app: { id: string; name: string; features: string[]; readiness_path: string | null };
  release: ReleaseRow & { image: string };
  formation: FormationRow[];
  /** An eco app asleep: its web service runs no task. */
  asleep: boolean;
  /** Called with the running web tasks whenever they change during the rollout, and once at its end. */
  onWebTasks: (dynos: ObservedDyno[]) => Promise<void>;
}

export class SwarmFormation {
  readonly #deps: SwarmFormationDeps;
  readonly #crashes = new TaskCrashes();

  constructor(deps: SwarmFormationDeps) {
    this.#deps = deps;
  }

  /**
   * Sends every process type's service spec and waits for the updates to
   * end. Rejects with release_failed when Swarm rolled an update back or new
   * tasks never turned healthy; what served before keeps serving.
   */
  async converge(target: FormationTarget): Promise<void> {
    const { services } = this.#deps;
    const { app, release } = target;
    const image = await this.#deps.imageRef(release.image);
    const constraints = (await this.#deps.placement?.()) ?? [];
    // A Dockerfile app with no Procfile: web is '' (the image's CMD).
    const ownCommand = release.process_types.web === '' && this.#deps.imageCommand;
    const imageCommand = ownCommand ? await ownCommand(release.image) : undefined;
    const inputs = this.#inputs(target, image).map((input) => ({
      ...input,
      constraints,
      ...(input.type === 'web' && imageCommand ? { imageCommand } : {}),
    }));
    const sent: AwaitedService[] = [];
    let done = false;
    try {
      for (const input of inputs) {
        const spec = serviceSpec(input);
        // Taken before the send: Swarm's update of this spec starts after it.
        const sentAt = Date.now();
        const result = await services.ensureService(spec);
        if (result.action === 'unchanged') continue;
        sent.push({ name: spec.Name!, created: result.action === 'created', replicas: input.quantity, sentAt });
      }
      await this.#follow(target, sent);
      done = true;
    } finally {
      // A service this rollout created and that never served goes, as a failed first deploy leaves no dyno.
      if (!done) for (const service of sent.filter((s) => s.created)) await services.removeService(service.name);
    }
    // Only now that the release serves: the process types it no longer has stop.
    const wanted = new Set(inputs.map((input) => serviceName(this.#deps.instance, app.name, input.type)));
    for (const service of await services.listServices(app.id)) {
      const name = service.Spec?.Name ?? '';
      if (!wanted.has(name)) await services.removeService(name);
    }
  }

  /** The app's web tasks that serve now: what the router lists (a platd restart routes them at once). */
  async webTasks(appId: string): Promise<ObservedDyno[]> {
    return runningWebTasks(await this.#deps.services.listTasks({ appId }));
  }

  /** Removes every service of an app (destroyed, renamed): Swarm stops their tasks with their grace period. */
  async tearDown(appName: string): Promise<void> {
    const { services } = this.#deps;
    const appIds = new Set<string>();
    for (const service of await services.listServices()) {
      if (service.Spec?.Labels?.[LABELS.app] !== appName) continue;
      appIds.add(service.Spec.Labels[LABELS.appId] ?? '');
      this.#crashes.forget(service.Spec.Labels[LABELS.appId] ?? '');
      await services.removeService(service.Spec.Name ?? '');
    }
    // Swarm stops the tasks after the services go; the app's network can go only once they have.
    const deadline = Date.now() + (this.#deps.graceSeconds + 15) * 1000;
    for (const appId of appIds) {
      while ((await services.taskContainers(appId)) > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  #inputs(target: FormationTarget, image: string): ServiceInput[] {
    const { app, release } = target;
    const rows = new Map(target.formation.map((row) => [row.type, row]));
    return Object.keys(release.process_types)
      .filter((type) => rows.has(type))
      .map((type) => {
        const row = rows.get(type)!;
        const quantity = target.asleep && type === 'web' ? 0 : row.quantity;
        return {
          instance: this.#deps.instance,
          app: app.name,
          appId: app.id,
          release: { ...specRelease(release), image },
          herokuMetadata: app.features.includes(HEROKU_METADATA),
          readinessPath: app.readiness_path,
          type,
          quantity,
          size: row.size,
          generation: row.generation ?? 0,
          graceSeconds: this.#deps.graceSeconds,
          ...(type === 'web' ? { publish: { mode: 'host' as const } } : {}),
        };
      });
  }

  /** Polls the app's tasks until every sent service's update has ended, reporting web tasks as they change. */
  async #follow(target: FormationTarget, awaited: AwaitedService[]): Promise<void> {
    const { services, bootTimeoutMs } = this.#deps;
    const pollMs = this.#deps.pollMs ?? 250;
    const slowest = Math.max(1, ...awaited.map((service) => service.replicas));
    const deadline = Date.now() + bootTimeoutMs * slowest + 30_000;
    let routed = '';
    for (;;) {
      const tasks = await services.listTasks({ appId: target.app.id });
      const web = runningWebTasks(tasks);
      const key = JSON.stringify(web.map((dyno) => [dyno.id, dyno.port]));
      if (key !== routed) {
        await target.onWebTasks(web);
        routed = key;
      }
      const verdicts: Verdict[] = [];
      for (const service of awaited) {
        const update = await services.updateState(service.name);
        verdicts.push(rolloutVerdict({ service, update, tasks, releaseId: target.release.id, now: Date.now() }));
      }
      const failed = verdicts.find((verdict) => verdict.state === 'failed');
      if (failed?.state === 'failed') throw new PlatError('release_failed', failed.message);
      if (verdicts.every((verdict) => verdict.state === 'done')) return;
      if (Date.now() > deadline) {
        const names = awaited.map((service) => service.name).join(', ');
        throw new PlatError('release_failed', `R10: ${names} did not turn healthy in time`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** The app's dynos as Swarm has them: the newest task of each slot. */
  async dynos(appId?: string): Promise<ObservedDyno[]> {
    return latestPerSlot(await this.#deps.services.listTasks(appId ? { appId } : {}));
  }

  /** The app's dynos, and its tasks that crashed (on any node) since the last look. */
  async observe(appId: string): Promise<{ dynos: ObservedDyno[]; crashed: TaskRecord[] }> {
    const tasks = await this.#deps.services.listTasks({ appId });
    return { dynos: latestPerSlot(tasks), crashed: this.#crashes.newCrashes(appId, tasks) };
  }
}
