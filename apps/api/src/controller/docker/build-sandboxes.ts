import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type Docker from 'dockerode';
import { instanceFilter, isInstanceContainer, LABELS, labelFilter } from '@plat/core';
import { sandboxContainerOptions } from '../container-options.js';
import { removeSandbox, startSandbox } from './sandboxes.js';
import { startSuffix } from './dynos.js';

/** An app's build sandbox unused this long goes: one pushed to again soon keeps its. */
export const BUILD_SANDBOX_IDLE_MS = 10 * 60_000;
/** A build step may write the namespace's shared files as root: platd reads no more of one than this. */
const SHARED_FILE_MAX_BYTES = 64 * 1024;
/** One this process does not hold goes once this old (a stopped platd's; a start takes far less). */
const LEFTOVER_AFTER_MS = 60_000;

export interface HeldBuildSandbox {
  /** Its container, once started. */
  id?: string;
  /** What its hosts, resolv.conf and hostname files held when it started (see files()). */
  files?: string;
  usedAt: number;
  building: boolean;
  /** Its start, with the removal of one it replaces. */
  starting?: Promise<void>;
}

/** Where a build's steps run, and what to call once it has ended (whether it succeeded). */
export interface BuildNetwork {
  /** A Docker network mode for the build: the build network, or `container:<id>` of the app's sandbox. */
  network: string;
  /** After a failed build, resolves once the app's build sandbox is gone: a refused push leaves nothing. */
  done: (succeeded: boolean) => Promise<void>;
}

/**
 * One network sandbox per app on the build network, kept between the app's
 * pushes: each step of its builds that runs a command joins it (network
 * mode `container:<id>`) instead of waiting for Docker to set up a network
 * namespace on the build network (~0.2 s per such step here). The build
 * network's firewall applies to it as to any container there. Only the
 * app's own builds join its sandbox, one at a time (an app's pushes build
 * one after another). What a step starts dies with the step's container;
 * what it could write that outlives it (the namespace's hosts, resolv.conf
 * and hostname files, shared with every step) is checked before each build,
 * and a sandbox whose files changed is replaced. A failed build leaves
 * none (a step may still be ending in it, and a refused push leaves nothing).
 */
export class BuildSandboxes {
  readonly #docker: Docker;
  readonly #instance: string;
  readonly #held = new Map<string, HeldBuildSandbox>();

  constructor(options: { docker: Docker; instance: string }) {
    this.#docker = options.docker;
    this.#instance = options.instance;
  }

  /**
   * The network mode for the app's build now: its sandbox when one runs as
   * it started and no build of the app uses it, else the build network
   * itself, readying a sandbox for the app's next build when it has none.
   */
  async join(app: { id: string; name: string }, network: string): Promise<BuildNetwork> {
    const held = this.#held.get(app.id);
    if (held?.id && !held.building) {
      // Claimed before the wait: a sweep meanwhile leaves it alone.
      held.building = true;
      if (await this.#intact(held, app.id, network)) {
        return {
          network: `container:${held.id}`,
          done: async (succeeded) => {
            held.building = false;
            held.usedAt = Date.now();
            // A failed build's step may still be ending in it.
            if (!succeeded) return this.forget(app.id);
            if (this.#held.get(app.id) !== held) return;
            // Checked now too, so that the next build finds a fresh one ready rather than the network.
            void this.#intact(held, app.id, network).then((intact) => {
              if (!intact && this.#held.get(app.id) === held && !held.building) this.#ready(app, network, held.id);
            });
          },
        };
      }
      held.building = false;
    }
    // None, or one to replace: one starts for the next build. One starting, or in use: neither waits.
    if (!held || (held.id && !held.building)) this.#ready(app, network, held?.id);
    return { network, done: async (succeeded) => (succeeded ? undefined : this.forget(app.id)) };
  }

  /**
   * Forgets the app's build sandbox and removes it, once a start under way
   * has ended: the app is being destroyed, or its build failed, and Docker
   * must hold nothing of it. Not one another build of the app uses.
   */
  async forget(appId: string): Promise<void> {
    const held = this.#held.get(appId);
    if (!held || held.building) return;
    this.#held.delete(appId);
    await held.starting;
    if (held.id) await removeSandbox(this.#docker, held.id);
  }

  /** Starts the app's sandbox in the background, in place of one (`stale`) to remove. */
  #ready(app: { id: string; name: string }, network: string, stale: string | undefined): void {
    const held: HeldBuildSandbox = { usedAt: Date.now(), building: false };
    this.#held.set(app.id, held);
    const labels = { [LABELS.instance]: this.#instance, [LABELS.app]: app.name, [LABELS.appId]: app.id };
    const options = sandboxContainerOptions({ network, suffix: startSuffix(), labels, forBuilds: true });
    held.starting = (async () => {
      if (stale) await removeSandbox(this.#docker, stale).catch(() => {});
      const sandbox = await startSandbox(this.#docker, network, options).catch(() => undefined);
      const files = sandbox ? await this.#files(sandbox.id) : undefined;
      if (this.#held.get(app.id) !== held || !files) {
        if (sandbox) await removeSandbox(this.#docker, sandbox.id).catch(() => {});
        if (this.#held.get(app.id) === held) this.#held.delete(app.id);
        return;
      }
      held.id = sandbox!.id;
      held.files = files;
    })();
  }

  /** Whether the sandbox runs, as this instance's, for this app, on the build network, its files as it started. */
  async #intact(held: HeldBuildSandbox, appId: string, network: string): Promise<boolean> {
    const info = await this.#docker
      .getContainer(held.id!)
      .inspect()
      .catch(() => undefined);
    if (!info?.State.Running || !isInstanceContainer(this.#instance, info.Name)) return false;
    const labels = info.Config.Labels ?? {};
    if (labels[LABELS.buildSandbox] !== network || labels[LABELS.appId] !== appId) return false;
    return (await this.#files(held.id!, info)) === held.files;
  }

  /** A digest of the files a build step sharing the namespace is given, and could write as root. */
  async #files(id: string, known?: Docker.ContainerInspectInfo): Promise<string | undefined> {
    const info =
      known ??
      (await this.#docker
        .getContainer(id)
        .inspect()
        .catch(() => undefined));
    if (!info) return undefined;
    const hash = createHash('sha256');
    for (const path of [info.HostsPath, info.ResolvConfPath, info.HostnamePath]) {
      const content = await boundedFile(path);
      // Grown past any real one, or not a plain file: not as it started.
      if (content === undefined) return undefined;
      hash.update(content);
      hash.update('\0');
    }
    return hash.digest('hex');
  }

  /**
   * Removes build sandboxes unused for BUILD_SANDBOX_IDLE_MS, those that
   * stopped, and those this process does not hold (a stopped platd's).
   */
  async sweep(now = Date.now()): Promise<void> {
    // As they were before the listing: a sandbox started since is not in it, and is not forgotten for that.
    const before = [...this.#held].map(([appId, held]) => ({ appId, held, copy: { ...held } }));
    const listed = await this.#docker.listContainers({
      all: true,
      filters: { label: [instanceFilter(this.#instance), labelFilter(LABELS.buildSandbox)] },
    });
    const sandboxes = listed
      .filter((info) => isInstanceContainer(this.#instance, info.Names))
      .map((info) => ({ id: info.Id, createdMs: info.Created * 1000, running: info.State === 'running' }));
    const plan = buildSandboxSweep({ sandboxes, held: before.map(({ appId, copy }) => [appId, copy]), now });
    for (const { appId, held } of before) {
      // Not one claimed for a build since the listing.
      if (plan.forget.includes(appId) && this.#held.get(appId) === held && !held.building) this.#held.delete(appId);
    }
    const kept = new Set([...this.#held.values()].map((held) => held.id));
    for (const id of plan.remove) if (!kept.has(id)) await removeSandbox(this.#docker, id).catch(() => {});
  }
}

/** A shared file's bytes, read only when it is a regular file (no link followed) of at most 64 KiB. */
export async function boundedFile(path: string): Promise<Buffer | undefined> {
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (!file) return undefined;
  try {
    const stat = await file.stat();
    if (!stat.isFile() || stat.size > SHARED_FILE_MAX_BYTES) return undefined;
    return await file.readFile();
  } finally {
    await file.close();
  }
}

/**
 * A sweep's plan: the apps whose sandbox to forget (idle, stopped or gone)
 * and the containers to remove (those forgotten, and leftovers no app holds
 * that are older than a start takes).
 */
export function buildSandboxSweep(input: {
  sandboxes: { id: string; createdMs: number; running: boolean }[];
  held: [string, Pick<HeldBuildSandbox, 'id' | 'usedAt' | 'building'>][];
  now: number;
}): { forget: string[]; remove: string[] } {
  const listed = new Map(input.sandboxes.map((sandbox) => [sandbox.id, sandbox]));
  const forget = input.held
    .filter(([, held]) => held.id !== undefined && !held.building)
    .filter(([, held]) => !listed.get(held.id!)?.running || input.now - held.usedAt > BUILD_SANDBOX_IDLE_MS)
    .map(([appId]) => appId);
  const forgotten = new Set(input.held.filter(([appId]) => forget.includes(appId)).map(([, held]) => held.id));
  const kept = new Set(input.held.filter(([appId, held]) => held.id && !forget.includes(appId)).map(([, h]) => h.id));
  const remove = input.sandboxes
    .filter((sandbox) => !kept.has(sandbox.id))
    .filter((sandbox) => forgotten.has(sandbox.id) || input.now - sandbox.createdMs > LEFTOVER_AFTER_MS)
    .map((sandbox) => sandbox.id);
  return { forget, remove };
}
