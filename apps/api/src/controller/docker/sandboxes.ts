import type Docker from 'dockerode';
import { instanceFilter, isInstanceContainer, LABELS, labelFilter } from '@plat/core';
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

async function startSandbox(docker: Docker, network: string, labels: Record<string, string>): Promise<Sandbox> {
  const container = await docker.createContainer(sandboxContainerOptions({ network, suffix: startSuffix(), labels }));
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
async function removeSandbox(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true });
  } catch (error) {
    const status = statusOf(error);
    if (status !== 404 && status !== 409) throw error;
  }
}

/**
 * Network sandboxes (container-options.ts): those started ahead, by app
 * network, until a dyno joins one or the push that asked for them ends. One
 * neither held here nor joined by a dyno is a leftover (a platd stopped
 * mid-push, a dyno removed behind platd's back) and goes.
 */
export class Sandboxes {
  readonly #docker: Docker;
  readonly #instance: string;
  readonly #ready = new Map<string, Promise<Sandbox | undefined>[]>();
  readonly #own = new Set<string>();
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
    const ready = this.#ready.get(network) ?? [];
    this.#ready.set(network, ready);
    while (ready.length < count) {
      ready.push(
        startSandbox(this.#docker, network, labels).then(
          (sandbox) => {
            this.#own.add(sandbox.id);
            return sandbox;
          },
          () => undefined,
        ),
      );
    }
  }

  /** A sandbox ready on the network (waiting for one still starting), or none. */
  async take(network: string): Promise<Sandbox | undefined> {
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
   * Removes the sandbox a removed dyno had joined, if it is one: of this
   * instance, on that dyno's network. The id comes from the dyno's label,
   * which only platd sets (images with Plat's labels are refused); checked
   * all the same, as platd runs as root.
   */
  async removeJoined(id: string, network: string): Promise<void> {
    const info = await this.#docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    if (!info || !isInstanceContainer(this.#instance, info.Name)) return;
    if (info.Config.Labels?.[LABELS.sandbox] !== network) return;
    await this.remove(info.Id);
  }

  /** Kills the dynos that joined a sandbox that died: they lost their network, and die as dynos do. */
  async died(id: string): Promise<void> {
    const joined = await this.#docker.listContainers({
      filters: { label: [instanceFilter(this.#instance), labelFilter(LABELS.inSandbox, id)] },
    });
    for (const dyno of joined) {
      if (!isInstanceContainer(this.#instance, dyno.Names)) continue;
      await this.#docker
        .getContainer(dyno.Id)
        .kill()
        .catch(() => {});
    }
  }

  /** Removes sandboxes of this instance that no dyno joined and this process does not hold (or is joining). */
  async sweep(now = Date.now()): Promise<void> {
    const instance = [instanceFilter(this.#instance)];
    const sandboxes = (
      await this.#docker.listContainers({ all: true, filters: { label: [...instance, labelFilter(LABELS.sandbox)] } })
    )
      .filter((info) => isInstanceContainer(this.#instance, info.Names))
      .map((info) => ({ id: info.Id, createdMs: info.Created * 1000 }));
    // As it was before the listings: one a dyno joins later shows in the dyno listing below, and one started
    // later is too young to go.
    const own = new Set(this.#own);
    if (leftoverSandboxes({ sandboxes, own, joined: new Set(), now }).length === 0) return;
    const dynos = await this.#docker.listContainers({
      all: true,
      filters: { label: [...instance, labelFilter(LABELS.inSandbox)] },
    });
    const joined = new Set(dynos.map((info) => info.Labels[LABELS.inSandbox] ?? ''));
    for (const id of leftoverSandboxes({ sandboxes, own, joined, now })) await removeSandbox(this.#docker, id);
  }
}

/**
 * Which sandboxes are leftovers: not held by this process, joined by no
 * dyno, and older than a start could take (one this process is starting is
 * not `own` until it runs).
 */
export function leftoverSandboxes(input: {
  sandboxes: { id: string; createdMs: number }[];
  own: ReadonlySet<string>;
  joined: ReadonlySet<string>;
  now: number;
}): string[] {
  return input.sandboxes
    .filter((sandbox) => !input.own.has(sandbox.id) && !input.joined.has(sandbox.id))
    .filter((sandbox) => input.now - sandbox.createdMs > LEFTOVER_AFTER_MS)
    .map((sandbox) => sandbox.id);
}
