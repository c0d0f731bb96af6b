import type Docker from 'dockerode';
import { instanceFilter, isInstanceContainer, LABELS, labelFilter, networkName } from '@plat/core';
import { sandboxContainerOptions } from '../container-options.js';
import { statusOf } from '../docker-errors.js';
import { startSuffix } from './dynos.js';

/** A network sandbox that runs: its container, and its address on the app's network. */
export interface Sandbox {
  id: string;
  address: string;
}

/** A sandbox neither this process's nor joined by a dyno is removed once it is this old (it may be starting). */
const LEFTOVER_AFTER_MS = 60_000;

/** Creates and starts a sandbox's container on the network; resolves once it runs there, with its address. */
export async function startSandbox(
  docker: Docker,
  network: string,
  options: Docker.ContainerCreateOptions,
): Promise<Sandbox> {
  const container = await docker.createContainer(options);
  try {
    await container.start();
    const info = await container.inspect();
    const address = info.NetworkSettings.Networks[network]?.IPAddress;
    if (!info.State.Running || !address) throw new Error(`the sandbox ${info.Name} has no address on ${network}`);
    return { id: container.id, address };
  } catch (error) {
    await removeSandbox(docker, container.id);
    throw error;
  }
}

/** Removes a sandbox's container; gone already is fine. */
export async function removeSandbox(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true });
  } catch (error) {
    const status = statusOf(error);
    if (status !== 404 && status !== 409) throw error;
  }
}

/**
 * Network sandboxes (container-options.ts): those started ahead, by app
 * network, until a dyno joins one or the push that asked for them ends; and
 * one spare per app network, kept from a removed dyno while the app still
 * runs dynos in sandboxes, which its next dyno (a restart's, a config
 * change's, a rollback's, the next push's) joins at once. One neither held
 * here nor joined by a dyno is a leftover (a platd stopped mid-push, a dyno
 * removed behind platd's back) and goes, unless it can be the spare of an
 * app that has none (a spare a stopped platd held).
 */
export class Sandboxes {
  readonly #docker: Docker;
  readonly #instance: string;
  readonly #ready = new Map<string, Promise<Sandbox | undefined>[]>();
  readonly #spares = new Map<string, Sandbox>();
  /** Networks whose app wants no spare until its next dyno (dropSpare). */
  readonly #unwanted = new Set<string>();
  readonly #own = new Set<string>();
  /** Sandboxes whose dyno was removed, being kept as a spare or removed (retire). */
  readonly #retiring = new Set<string>();
  readonly #removing = new Set<Promise<void>>();

  constructor(options: { docker: Docker; instance: string }) {
    this.#docker = options.docker;
    this.#instance = options.instance;
  }

  /**
   * Starts sandboxes on the network until `count` stand ready there. One
   * that fails to start is no failure of the push: its dyno starts the
   * usual way, on the network itself.
   */
  prepare(network: string, labels: Record<string, string>, count: number): void {
    this.#unwanted.delete(network);
    const ready = this.#ready.get(network) ?? [];
    this.#ready.set(network, ready);
    // The network's spare serves the first dyno to ask.
    const wanted = count - (this.#spares.has(network) ? 1 : 0);
    while (ready.length < wanted) {
      ready.push(
        startSandbox(this.#docker, network, sandboxContainerOptions({ network, suffix: startSuffix(), labels })).then(
          (sandbox) => {
            this.#own.add(sandbox.id);
            return sandbox;
          },
          () => undefined,
        ),
      );
    }
  }

  /**
   * The network's spare (unless `spare: false`: a release phase, which may
   * run with no push having readied a sandbox, leaves it to the web dyno),
   * else a sandbox ready there (waiting for one still starting), or none.
   */
  async take(network: string, options: { spare: boolean }): Promise<Sandbox | undefined> {
    this.#unwanted.delete(network);
    const spare = options.spare ? this.#spares.get(network) : undefined;
    if (spare) {
      this.#spares.delete(network);
      return spare;
    }
    const ready = this.#ready.get(network);
    const next = ready?.shift();
    if (ready?.length === 0) this.#ready.delete(network);
    return next;
  }

  /**
   * Removes the sandboxes still waiting on the network for a dyno, and
   * waits for removals under way (a release phase's, which goes unawaited).
   */
  async discard(network: string): Promise<void> {
    const ready = this.#ready.get(network) ?? [];
    this.#ready.delete(network);
    const sandboxes = (await Promise.all(ready)).filter((sandbox) => sandbox !== undefined);
    const removed = await Promise.allSettled(sandboxes.map((sandbox) => this.remove(sandbox.id)));
    await Promise.allSettled([...this.#removing]);
    const failed = removed.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** A dyno joined the sandbox: its label keeps the sandbox from now on (the sweep's own check). */
  joined(id: string): void {
    this.#own.delete(id);
  }

  async remove(id: string): Promise<void> {
    for (const [network, spare] of this.#spares) if (spare.id === id) this.#spares.delete(network);
    const removal = removeSandbox(this.#docker, id).then(() => {
      this.#own.delete(id);
    });
    this.#removing.add(removal);
    try {
      await removal;
    } finally {
      this.#removing.delete(removal);
    }
  }

  /**
   * The sandbox a removed dyno had joined, if it is one (of this instance,
   * on that dyno's network), becomes its network's spare when there is none,
   * the app still runs dynos in sandboxes and still wants web dynos (no
   * dropSpare since its last take); else it goes. Reusing one is safe: the
   * dyno's processes died with its container, and it could change nothing of
   * the namespace it leaves (no capability). The id comes from the dyno's
   * label, which only platd sets (images with Plat's labels are refused);
   * checked all the same, as platd runs as root.
   */
  async retire(id: string, options: { network: string; appId: string }): Promise<void> {
    const { network } = options;
    // Claimed before any wait: a sweep leaves it alone, and a second removal of the same dyno does nothing.
    if (this.#own.has(id) || this.#retiring.has(id)) return;
    this.#retiring.add(id);
    try {
      const info = await this.#docker
        .getContainer(id)
        .inspect()
        .catch(() => undefined);
      if (!info || !isInstanceContainer(this.#instance, info.Name)) return;
      if (info.Config.Labels?.[LABELS.sandbox] !== network) return;
      const joined = await this.#joinedDynos(options.appId);
      // Still joined (a dyno removed twice, or one started into it): it is that dyno's, not a spare.
      if (joined.some((dyno) => dyno.Labels[LABELS.inSandbox] === info.Id)) return;
      const address = info.NetworkSettings.Networks[network]?.IPAddress;
      const wanted = joined.length > 0 && !this.#unwanted.has(network);
      // Checked and set with no wait between: two dynos removed at once leave one spare.
      if (wanted && info.State.Running && address && !this.#spares.has(network)) {
        this.#own.add(info.Id);
        this.#spares.set(network, { id: info.Id, address });
        return;
      }
      await this.remove(info.Id);
    } finally {
      this.#retiring.delete(id);
    }
  }

  /**
   * Removes the network's spare, if it has one, and keeps none there until
   * a dyno next asks for a sandbox: the app wants no web dyno now (scaled to
   * zero, asleep, destroyed), and the dynos it stops leave none behind.
   */
  async dropSpare(network: string): Promise<void> {
    this.#unwanted.add(network);
    const spare = this.#spares.get(network);
    if (!spare) return;
    this.#spares.delete(network);
    await this.remove(spare.id);
  }

  /** The app's dynos, running or not, that joined a sandbox. */
  async #joinedDynos(appId: string): Promise<Docker.ContainerInfo[]> {
    const dynos = await this.#docker.listContainers({
      all: true,
      filters: {
        label: [instanceFilter(this.#instance), labelFilter(LABELS.appId, appId), labelFilter(LABELS.inSandbox)],
      },
    });
    return dynos.filter((dyno) => isInstanceContainer(this.#instance, dyno.Names));
  }

  /**
   * Kills the dynos that joined a sandbox that died: they lost their
   * network. `killing` hears of each first, so its death is known for the
   * sandbox's doing. A spare that died is no longer one (the sweep removes it).
   */
  async died(id: string, killing: (dyno: string) => void = () => {}): Promise<void> {
    for (const [network, spare] of this.#spares) {
      if (spare.id !== id) continue;
      this.#spares.delete(network);
      this.#own.delete(id);
    }
    const joined = await this.#docker.listContainers({
      filters: { label: [instanceFilter(this.#instance), labelFilter(LABELS.inSandbox, id)] },
    });
    for (const dyno of joined) {
      if (!isInstanceContainer(this.#instance, dyno.Names)) continue;
      killing(dyno.Id);
      await this.#docker
        .getContainer(dyno.Id)
        .kill()
        .catch(() => {});
    }
  }

  /**
   * Removes sandboxes of this instance that no dyno joined and this process
   * does not hold (or is joining), but keeps one as the spare of an app
   * network that has none while the app runs dynos in sandboxes; and
   * removes a spare whose app no longer does.
   */
  async sweep(now = Date.now()): Promise<void> {
    const instance = [instanceFilter(this.#instance)];
    const sandboxes = (
      await this.#docker.listContainers({ all: true, filters: { label: [...instance, labelFilter(LABELS.sandbox)] } })
    )
      .filter((info) => isInstanceContainer(this.#instance, info.Names))
      .map((info) => ({
        id: info.Id,
        createdMs: info.Created * 1000,
        network: info.Labels[LABELS.sandbox] ?? '',
        address: info.NetworkSettings?.Networks?.[info.Labels[LABELS.sandbox] ?? '']?.IPAddress ?? '',
        running: info.State === 'running',
      }));
    // As it was before the listings: one a dyno joins later shows in the dyno listing below, and one started
    // later is too young to go.
    const own = new Set(this.#own);
    const spares = new Map([...this.#spares].map(([network, spare]) => [network, spare.id]));
    // A network with no sandbox left needs no word against keeping one (a destroyed app's): the set stays small.
    for (const network of this.#unwanted)
      if (!sandboxes.some((s) => s.network === network)) this.#unwanted.delete(network);
    const idle = { sandboxes, own, joined: new Set<string>(), now };
    if (spares.size === 0 && leftoverSandboxes(idle).length === 0) return;
    const dynos = await this.#docker.listContainers({
      all: true,
      filters: { label: [...instance, labelFilter(LABELS.inSandbox)] },
    });
    const joined = new Set(dynos.map((info) => info.Labels[LABELS.inSandbox] ?? ''));
    // By the dynos' own labels: a dyno may have joined a sandbox started after the listing above.
    const inUse = new Set(dynos.map((info) => networkName(this.#instance, info.Labels[LABELS.appId] ?? '')));
    const plan = sandboxSweep({ ...idle, joined, inUse, spares });
    for (const network of plan.drop) {
      if (this.#spares.get(network)?.id === spares.get(network)) await this.dropSpare(network);
    }
    for (const id of plan.remove) {
      // As it is now: one retired, taken or adopted since the listings is not this sweep's to remove.
      if (this.#own.has(id) || this.#retiring.has(id)) continue;
      const sandbox = sandboxes.find((candidate) => candidate.id === id)!;
      if (plan.adopt.includes(id) && sandbox.address && !this.#spares.has(sandbox.network)) {
        this.#own.add(id);
        this.#spares.set(sandbox.network, { id, address: sandbox.address });
        continue;
      }
      await removeSandbox(this.#docker, id);
    }
  }
}

interface ListedSandbox {
  id: string;
  createdMs: number;
  network: string;
  running: boolean;
}

/**
 * Which sandboxes are leftovers: not held by this process, joined by no
 * dyno, and older than a start could take (one this process is starting is
 * not `own` until it runs).
 */
export function leftoverSandboxes(input: {
  sandboxes: Pick<ListedSandbox, 'id' | 'createdMs'>[];
  own: ReadonlySet<string>;
  joined: ReadonlySet<string>;
  now: number;
}): string[] {
  return input.sandboxes
    .filter((sandbox) => !input.own.has(sandbox.id) && !input.joined.has(sandbox.id))
    .filter((sandbox) => input.now - sandbox.createdMs > LEFTOVER_AFTER_MS)
    .map((sandbox) => sandbox.id);
}

/**
 * A sweep's plan. `remove`: the leftovers; `adopt`: of those, the one per
 * app network (running) to keep as its spare instead, where the network has
 * none and is `inUse` (some dyno of its app joined a sandbox); `drop`:
 * networks whose spare should go (not in use, or the spare no longer runs).
 */
export function sandboxSweep(input: {
  sandboxes: ListedSandbox[];
  own: ReadonlySet<string>;
  joined: ReadonlySet<string>;
  inUse: ReadonlySet<string>;
  spares: ReadonlyMap<string, string>;
  now: number;
}): { remove: string[]; adopt: string[]; drop: string[] } {
  const { inUse } = input;
  const remove = leftoverSandboxes(input);
  const spared = new Set([...input.spares.keys()].filter((network) => inUse.has(network)));
  const adopt: string[] = [];
  for (const sandbox of input.sandboxes.filter((s) => remove.includes(s.id))) {
    if (!sandbox.running || !inUse.has(sandbox.network) || spared.has(sandbox.network)) continue;
    spared.add(sandbox.network);
    adopt.push(sandbox.id);
  }
  const running = new Set(input.sandboxes.filter((s) => s.running).map((s) => s.id));
  const drop = [...input.spares]
    .filter(([network, id]) => !inUse.has(network) || !running.has(id))
    .map(([network]) => network);
  return { remove, adopt, drop };
}
