import Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { ADDON_LABELS, addonObjectName, instanceFilter, isInstanceContainer, labelFilter } from '@plat/core';
import { addonFilter, type AddonHandle, type LabelledObject } from './addon-objects.js';
import { addonContainerOptions, addonVolumeOptions, type AddonContainerSpec } from './container-options.js';
import { logTail } from './docker/logs.js';
import { statusOf } from './docker-errors.js';
import { demuxExec } from './exec-demux.js';
import {
  CHECK_LABEL,
  firstTarFile,
  passwdIds,
  scratchContainerOptions,
  scratchLabels,
  scratchName,
  type ScratchSpec,
} from '../backups/scratch-options.js';

export type { AddonContainerSpec } from './container-options.js';

/**
 * platd's door to Docker for add-on containers and volumes. Every object it
 * makes carries the add-on's labels (its row id above all), and it finds and
 * removes objects only by those labels, never by a name: two add-ons, of
 * one app or of two, can never share or remove each other's.
 */
export class AddonRuntime {
  readonly #docker: Docker;
  readonly #instance: string;
  readonly #imageUsers = new Map<string, { uid: number; gid: number }>();

  constructor(options: { instance: string; docker?: Docker }) {
    this.#docker = options.docker ?? new Docker();
    this.#instance = options.instance;
  }

  /**
   * Starts the add-on's container on the app's network only (nothing is
   * published on the host), its data on a new volume when it keeps any, and
   * waits until its health check passes. Docker refuses a name that exists,
   * so an object of another add-on is never reused.
   */
  async start(spec: AddonContainerSpec, timeoutMs: number): Promise<void> {
    if (spec.dataPath) {
      const name = addonObjectName(this.#instance, spec.addon);
      // createVolume returns an existing volume of the same name: refuse instead.
      const existing = await this.#docker.listVolumes({ filters: { name: [name] } });
      if ((existing.Volumes ?? []).some((volume) => volume.Name === name)) {
        throw new Error(`volume ${name} exists already`);
      }
      await this.#docker.createVolume(addonVolumeOptions(this.#instance, spec));
    }
    const container = await this.#docker.createContainer(addonContainerOptions(this.#instance, spec));
    await container.start();
    await healthy(container, spec.addon.name, timeoutMs);
  }

  /** Removes the add-on's containers, then its volumes: whatever carries its labels. */
  async remove(addon: AddonHandle): Promise<void> {
    const filters = { label: addonFilter(this.#instance, addon) };
    for (const info of await this.#containers(filters)) {
      await this.removeObject({ kind: 'container', ref: info.Id, labels: info.Labels });
    }
    for (const volume of (await this.#docker.listVolumes({ filters })).Volumes ?? []) {
      await this.removeObject({ kind: 'volume', ref: volume.Name, labels: volume.Labels ?? {} });
    }
  }

  /** Every container and volume labelled as an add-on of this instance. */
  async objects(): Promise<LabelledObject[]> {
    const filters = { label: [instanceFilter(this.#instance), labelFilter(ADDON_LABELS.name)] };
    const containers = await this.#containers(filters);
    const volumes = (await this.#docker.listVolumes({ filters })).Volumes ?? [];
    return [
      ...containers.map((info): LabelledObject => ({ kind: 'container', ref: info.Id, labels: info.Labels })),
      ...volumes.map((volume): LabelledObject => ({ kind: 'volume', ref: volume.Name, labels: volume.Labels ?? {} })),
    ];
  }

  async removeObject(object: LabelledObject): Promise<void> {
    const removal =
      object.kind === 'container'
        ? this.#docker.getContainer(object.ref).remove({ force: true, v: false })
        : this.#docker.getVolume(object.ref).remove();
    await removal.catch((error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    });
  }

  /**
   * Puts the add-on's container on a network under its name, when it is not
   * there yet: how add-ons made when networks were named by app name join
   * the app's network named by its id.
   */
  async connect(addon: AddonHandle, network: string): Promise<boolean> {
    const container = await this.#container(addon);
    const info = await container.inspect();
    if (info.NetworkSettings.Networks[network]) return false;
    await this.#docker.getNetwork(network).connect({ Container: info.Id, EndpointConfig: { Aliases: [addon.name] } });
    return true;
  }

  /**
   * Runs a command inside the add-on's container (pg_dump, pg_restore, psql),
   * feeding stdin from a stream and sending stdout to one; resolves with
   * the exit code and what it wrote to stderr.
   */
  async exec(
    addon: AddonHandle,
    command: string[],
    io: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream; env?: Record<string, string> },
  ): Promise<{ exitCode: number; stderr: string }> {
    return this.#exec(await this.#container(addon), command, io);
  }

  async #exec(
    container: Docker.Container,
    command: string[],
    io: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream; env?: Record<string, string> },
  ): Promise<{ exitCode: number; stderr: string }> {
    const exec = await container.exec({
      Cmd: command,
      // Secrets for the command (REDISCLI_AUTH) go here: argv is visible to every process in the container.
      ...(io.env ? { Env: Object.entries(io.env).map(([key, value]) => `${key}=${value}`) } : {}),
      AttachStdin: Boolean(io.stdin),
      AttachStdout: true,
      AttachStderr: true,
    });
    const started = await exec.start({ hijack: true, stdin: Boolean(io.stdin) });
    const stream = started as unknown as NodeJS.ReadWriteStream & { end(): void };
    let stderr = '';
    const errors = new PassThrough().on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const out = io.stdout ?? new PassThrough().resume();
    // With backpressure: a full or slow `out` (a dump's file) pauses the command instead of filling memory.
    const demuxed = demuxExec(stream, out, errors);
    if (io.stdin) {
      io.stdin.pipe(stream as unknown as NodeJS.WritableStream, { end: false });
      io.stdin.on('end', () => stream.end());
      // A source that fails (a file gone) ends the input: the command sees it cut short and fails.
      io.stdin.on('error', () => stream.end());
    }
    await demuxed;
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, stderr };
  }

  /** An interactive command in the add-on's container (plat pg:psql). */
  async attachExec(
    addon: AddonHandle,
    command: string[],
    session: {
      tty: boolean;
      size?: { cols: number; rows: number };
      stdin: NodeJS.ReadableStream;
      onStdout: (chunk: Buffer) => void;
      onStderr: (chunk: Buffer) => void;
    },
  ): Promise<number> {
    const exec = await (await this.#container(addon)).exec({
      Cmd: command,
      Tty: session.tty,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      ...(session.tty ? { Env: ['TERM=xterm-256color'] } : {}),
    });
    const started = await exec.start({ hijack: true, stdin: true, Tty: session.tty });
    const stream = started as unknown as NodeJS.ReadWriteStream & { end(): void };
    if (session.tty) stream.on('data', session.onStdout);
    else {
      const stdout = new PassThrough().on('data', session.onStdout);
      this.#docker.modem.demuxStream(stream, stdout, new PassThrough().on('data', session.onStderr));
    }
    if (session.tty && session.size) await exec.resize({ h: session.size.rows, w: session.size.cols }).catch(() => {});
    session.stdin.on('data', (chunk: Buffer) => stream.write(chunk));
    session.stdin.on('end', () => stream.end());
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
    });
    return (await exec.inspect()).ExitCode ?? -1;
  }

  async restart(addon: AddonHandle): Promise<void> {
    await (await this.#container(addon)).restart({ t: 10 });
  }

  async state(addon: AddonHandle): Promise<string> {
    try {
      const state = (await (await this.#container(addon)).inspect()).State;
      return state.Health?.Status === 'healthy' ? 'available' : state.Running ? 'starting' : 'stopped';
    } catch (error) {
      if (statusOf(error) === 404) return 'missing';
      throw error;
    }
  }

  /**
   * Starts a backup check's scratch server from an add-on image: with no
   * network, its data on a bounded tmpfs owned by the image's user; resolves
   * once its health check passes.
   */
  async startScratch(spec: ScratchSpec, timeoutMs: number): Promise<void> {
    const owner = await this.#imageUser(spec.image, spec.id);
    const container = await this.#docker.createContainer(scratchContainerOptions(this.#instance, spec, owner));
    await container.start();
    await healthy(container, 'scratch server', timeoutMs);
  }

  /** A command in a check's scratch container (pg_restore, psql, redis-cli), as exec() for add-ons. */
  async execScratch(
    id: string,
    command: string[],
    io: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream; env?: Record<string, string> },
  ): Promise<{ exitCode: number; stderr: string }> {
    return this.#exec(this.#docker.getContainer(scratchName(this.#instance, id)), command, io);
  }

  /** Why a scratch container is gone or down, when it is: out of memory, or its exit and last lines. */
  async scratchTrouble(id: string): Promise<string | undefined> {
    const container = this.#docker.getContainer(scratchName(this.#instance, id));
    const state = (await container.inspect().catch(() => undefined))?.State;
    if (!state) return 'the scratch server is gone';
    if (state.OOMKilled) return 'the scratch server ran out of memory';
    if (state.Running) return undefined;
    const tail = (await logTail(container, 5).catch(() => '')).trim();
    return `the scratch server exited (${state.ExitCode})${tail ? `: ${tail}` : ''}`;
  }

  /** The last lines a check's scratch server printed ('' when it is gone). */
  async scratchLogs(id: string, lines: number): Promise<string> {
    return logTail(this.#docker.getContainer(scratchName(this.#instance, id)), lines).catch(() => '');
  }

  /** Removes a check's container (killing what runs in it), which may be gone already. */
  async removeScratch(id: string): Promise<void> {
    await this.#docker
      .getContainer(scratchName(this.#instance, id))
      .remove({ force: true, v: true })
      .catch((error: unknown) => {
        if (statusOf(error) !== 404) throw error;
      });
  }

  /** Check containers of this instance left behind, and networks of checks made before they ran with none. */
  async scratchObjects(): Promise<{ containers: string[]; networks: string[] }> {
    const { containers, networks } = await this.#scratchListed();
    return {
      containers: containers.map((info) => info.Labels[CHECK_LABEL] ?? '').filter(Boolean),
      networks: networks.map((n) => n.Labels?.[CHECK_LABEL] ?? ''),
    };
  }

  async #scratchListed(): Promise<{ containers: Docker.ContainerInfo[]; networks: Docker.NetworkInspectInfo[] }> {
    const filters = { label: [instanceFilter(this.#instance), labelFilter(CHECK_LABEL)] };
    const containers = await this.#containers(filters);
    const prefix = scratchName(this.#instance, '');
    const networks = (await this.#docker.listNetworks({ filters })).filter((n) => n.Name.startsWith(prefix));
    return { containers, networks };
  }

  /**
   * Removes leftovers of checks: at platd's start, when no check runs. By
   * the ids Docker lists, so every container a check made goes (its image
   * probe too, whose name is not the scratch server's).
   */
  async sweepScratch(): Promise<number> {
    const { containers, networks } = await this.#scratchListed();
    const ignoreGone = (error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    };
    for (const info of containers) {
      await this.#docker.getContainer(info.Id).remove({ force: true, v: true }).catch(ignoreGone);
    }
    for (const network of networks) await this.#docker.getNetwork(network.Id).remove().catch(ignoreGone);
    return new Set([...containers.map((c) => c.Labels[CHECK_LABEL]), ...networks.map((n) => n.Labels?.[CHECK_LABEL])])
      .size;
  }

  /** The uid and gid of an image's user, from its /etc/passwd (a container created, never started). */
  async #imageUser(image: string, id: string): Promise<{ uid: number; gid: number }> {
    const cached = this.#imageUsers.get(image);
    if (cached) return cached;
    const user = (await this.#docker.getImage(image).inspect()).Config.User || 'root';
    const [uid, gid] = user.split(':');
    if (/^\d+$/.test(uid ?? '')) return { uid: Number(uid), gid: Number(/^\d+$/.test(gid ?? '') ? gid : uid) };
    const probe = await this.#docker.createContainer({
      name: `${scratchName(this.#instance, id)}-probe`,
      Image: image,
      Labels: scratchLabels(this.#instance, id),
      NetworkDisabled: true,
    });
    try {
      const tar = await probe.getArchive({ path: '/etc/passwd' });
      const chunks: Buffer[] = [];
      for await (const chunk of tar as AsyncIterable<Buffer>) chunks.push(chunk);
      const ids = passwdIds(firstTarFile(Buffer.concat(chunks)).toString('utf8'), user);
      if (!ids) throw new Error(`the image's user ${user} is not in its /etc/passwd`);
      this.#imageUsers.set(image, ids);
      return ids;
    } finally {
      await probe.remove({ force: true }).catch(() => {});
    }
  }

  /** Containers with these labels that this platd made (by name: labels alone can come from an image). */
  async #containers(filters: { label: string[] }): Promise<Docker.ContainerInfo[]> {
    const listed = await this.#docker.listContainers({ all: true, filters });
    return listed.filter((info) => isInstanceContainer(this.#instance, info.Names));
  }

  /** The add-on's container, found by its labels. */
  async #container(addon: AddonHandle): Promise<Docker.Container> {
    const filters = { label: addonFilter(this.#instance, addon) };
    const [info] = await this.#containers(filters);
    if (!info) throw Object.assign(new Error(`the container of ${addon.name} is missing`), { statusCode: 404 });
    return this.#docker.getContainer(info.Id);
  }
}

/** Waits until the container's health check passes; throws when it exits first or the time is up. */
async function healthy(container: Docker.Container, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = (await container.inspect()).State;
    if (state.Health?.Status === 'healthy') return;
    if (!state.Running) {
      const tail = (await logTail(container, 10)).trim();
      throw new Error(`the ${what} container exited (${state.ExitCode}): ${tail}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} was not ready within ${Math.round(timeoutMs / 1000)} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
