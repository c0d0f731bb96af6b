import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { DYNO_PORT, DYNO_USER, LABELS, type DynoSpec } from './dyno-spec.js';
import { bridgeOf } from './firewall-plan.js';
import { HostFirewall } from './host-firewall.js';
import type { ObservedDyno } from './reconcile.js';
import { outputFlow, pipeStdin } from './session-flow.js';
import type { ObservedOneOff } from './one-off-sweep.js';
import { statusOf } from './docker-errors.js';

/**
 * platd's only door to Docker: intent in, containers out. Everything it
 * creates carries the instance label, so two platds never touch each other's
 * containers or networks.
 */
export interface DynoDeath {
  id: string;
  app: string;
  dyno: string;
  releaseId: string;
  oneOff: boolean;
  exitCode: number;
}

export class DockerRuntime {
  readonly #docker: Docker;
  readonly #instance: string;
  /** Names of the one-off containers this process runs and will remove; any other is an orphan of an earlier platd. */
  readonly #liveOneOffs = new Set<string>();
  readonly #firewall: HostFirewall;
  /** Networks whose firewall rules this process has checked: converging does not re-run iptables. */
  readonly #isolated = new Set<string>();

  constructor(options: { instance: string; docker?: Docker; firewall?: HostFirewall }) {
    this.#docker = options.docker ?? new Docker();
    this.#instance = options.instance;
    this.#firewall = options.firewall ?? new HostFirewall({ instance: options.instance });
  }

  async ping(): Promise<void> {
    await this.#docker.ping();
  }

  /** An app's network; named and labelled by the app's id, so a rename keeps it (and its add-ons). */
  async ensureNetwork(name: string, app: string, appId?: string): Promise<void> {
    await this.#ensureIsolatedNetwork(name, { [LABELS.instance]: this.#instance, ...(appId ? { [LABELS.appId]: appId } : { [LABELS.app]: app }) });
  }

  /** The network image builds of pushed code run on: isolated from the host like the apps' own. */
  async ensureBuildNetwork(): Promise<string> {
    // No app name can start with a dash, so this never meets an app's network.
    const name = `plat-${this.#instance}--builds`;
    await this.#ensureIsolatedNetwork(name, { [LABELS.instance]: this.#instance });
    return name;
  }

  /**
   * Creates the network when missing and makes sure its bridge is firewalled
   * off the host (host-firewall.ts) before any container joins it.
   */
  async #ensureIsolatedNetwork(name: string, labels: Record<string, string>): Promise<void> {
    let network: { Id: string; Options?: Record<string, string> } | undefined = (await this.#docker.listNetworks({ filters: { name: [name] } })).find(
      (candidate) => candidate.Name === name,
    );
    if (network && this.#isolated.has(network.Id)) return;
    network ??= { Id: (await this.#docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true })).id };
    await this.#firewall.isolate(bridgeOf(network));
    this.#isolated.add(network.Id);
  }

  async removeNetwork(name: string): Promise<void> {
    let network: Docker.NetworkInspectInfo;
    try {
      network = (await this.#docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
      await this.#docker.getNetwork(network.Id).remove();
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      return;
    }
    this.#isolated.delete(network.Id);
    await this.#firewall.release(bridgeOf(network));
  }

  /**
   * Takes this instance's add-on containers off a network (they are on their
   * app's network by id too), so a network named by an app's old name can go.
   */
  async detachAddons(name: string): Promise<void> {
    const containers = await this.#docker.listContainers({ all: true, filters: { network: [name], label: [`${LABELS.instance}=${this.#instance}`, 'plat.addon'] } });
    for (const info of containers) {
      await this.#docker.getNetwork(name).disconnect({ Container: info.Id, Force: true }).catch((error: unknown) => {
        if (statusOf(error) !== 404) throw error;
      });
    }
  }

  /**
   * Removes app networks (by id) of apps that are gone; one still in use
   * stays for the next sweep. The apps are read after the networks are
   * listed, so an app created meanwhile keeps its new network.
   */
  async removeOrphanNetworks(liveAppIds: () => Promise<Set<string>>): Promise<void> {
    const networks = await this.#docker.listNetworks({ filters: { label: [`${LABELS.instance}=${this.#instance}`, LABELS.appId] } });
    const appIds = await liveAppIds();
    for (const network of networks.filter((n) => !appIds.has(n.Labels?.[LABELS.appId] ?? ''))) {
      await this.removeNetwork(network.Name).catch((error: unknown) => {
        if (statusOf(error) !== 403 && statusOf(error) !== 409) throw error;
      });
    }
  }

  #containerOptions(spec: DynoSpec): Docker.ContainerCreateOptions {
    const portKey = `${DYNO_PORT}/tcp`;
    return {
      // Unique per start: a dyno's replacement may start while the container
      // it replaces is still draining.
      name: `${spec.containerName}-${randomBytes(3).toString('hex')}`,
      Image: spec.image,
      // Procfile commands are shell command lines, as on Heroku; they run
      // inside the app's own container, never on the host.
      ...(spec.command ? { Cmd: ['/bin/sh', '-c', spec.command] } : {}),
      Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
      Labels: spec.labels,
      User: DYNO_USER,
      ExposedPorts: spec.web ? { [portKey]: {} } : {},
      HostConfig: {
        Init: true,
        NetworkMode: spec.network,
        PortBindings: spec.web ? { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] } : {},
        Memory: spec.size.memoryBytes,
        MemorySwap: spec.size.memoryBytes,
        CpuShares: spec.size.cpuShares,
        PidsLimit: 512,
        SecurityOpt: ['no-new-privileges'],
        CapDrop: ['ALL'],
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      },
    };
  }

  /** Creates and starts the dyno's container; resolves with what Docker observed. */
  async ensureDyno(spec: DynoSpec): Promise<ObservedDyno> {
    const container = await this.#docker.createContainer(this.#containerOptions(spec));
    await container.start();
    const observed = toObserved(await container.inspect());
    if (!observed) throw new Error(`container ${spec.containerName} lost its labels`);
    return observed;
  }

  /**
   * Runs a one-off dyno to its end, passing each line it prints to onLine,
   * and resolves with its exit code; the container is removed either way.
   */
  async runOneOff(spec: DynoSpec, options: { onLine: (line: string) => void; timeoutMs: number }): Promise<number> {
    this.#liveOneOffs.add(spec.containerName);
    const container = await this.#docker.createContainer(this.#containerOptions(spec)).catch((error: unknown) => {
      this.#liveOneOffs.delete(spec.containerName);
      throw error;
    });
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const output = new PassThrough();
      this.#docker.modem.demuxStream(stream, output, output);
      stream.on('end', () => output.end());
      const lines = createInterface({ input: output });
      lines.on('line', options.onLine);
      const finished = new Promise<void>((resolve) => lines.on('close', resolve));
      await container.start();
      const timer = setTimeout(() => void container.kill().catch(() => {}), options.timeoutMs);
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      clearTimeout(timer);
      await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 2000))]);
      return StatusCode;
    } finally {
      await container.remove({ force: true }).catch(() => {});
      this.#liveOneOffs.delete(spec.containerName);
    }
  }

  /**
   * Runs a one-off dyno attached to a terminal-like session: stdin in,
   * stdout and stderr out (one raw stream with a TTY), resolving with the
   * exit code. The container is removed either way.
   */
  async attachOneOff(
    spec: DynoSpec,
    session: {
      tty: boolean;
      size?: { cols: number; rows: number };
      stdin: NodeJS.ReadableStream;
      onStdout: (chunk: Buffer) => void;
      onStderr: (chunk: Buffer) => void;
      /** Called when a handler answered false (its client is behind): output pauses until resume. */
      whenDrained?: (resume: () => void) => void;
      signal: AbortSignal;
    },
  ): Promise<number> {
    const options = this.#containerOptions(spec);
    this.#liveOneOffs.add(spec.containerName);
    const container = await this.#docker.createContainer({
      ...options,
      Tty: session.tty,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      ...(session.tty ? { Env: [...(options.Env ?? []), 'TERM=xterm-256color'] } : {}),
    }).catch((error: unknown) => {
      this.#liveOneOffs.delete(spec.containerName);
      throw error;
    });
    const kill = () => void container.kill().catch(() => {});
    session.signal.addEventListener('abort', kill, { once: true });
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as NodeJS.ReadWriteStream & { end(): void };
      const flow = outputFlow(stream, session.whenDrained);
      if (session.tty) stream.on('data', flow(session.onStdout));
      else {
        const stdout = new PassThrough().on('data', flow(session.onStdout));
        const stderr = new PassThrough().on('data', flow(session.onStderr));
        this.#docker.modem.demuxStream(stream, stdout, stderr);
      }
      const ended = new Promise<void>((resolve) => stream.on('end', resolve));
      await container.start();
      if (session.tty && session.size) await container.resize({ w: session.size.cols, h: session.size.rows }).catch(() => {});
      pipeStdin(session.stdin, stream);
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000))]);
      return StatusCode;
    } finally {
      session.signal.removeEventListener('abort', kill);
      await container.remove({ force: true }).catch(() => {});
      this.#liveOneOffs.delete(spec.containerName);
    }
  }

  /** This instance's one-off containers, running or not, and whether this process is the one watching each. */
  async listOneOffs(): Promise<ObservedOneOff[]> {
    const containers = await this.#docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${this.#instance}`, LABELS.oneOff] } });
    return containers.map((info) => ({
      id: info.Id,
      app: info.Labels[LABELS.app] ?? '',
      dyno: info.Labels[LABELS.dyno] ?? '',
      running: info.State === 'running',
      createdAt: new Date(info.Created * 1000),
      // Container names carry a random suffix after the dyno's name.
      tracked: info.Names.some((name) => [...this.#liveOneOffs].some((live) => name.replace(/^\//, '').startsWith(`${live}-`))),
    }));
  }

  /** Dynos of this instance's formations (of one app, when named), running or not; one-offs are not among them. */
  async listDynos(app?: string): Promise<ObservedDyno[]> {
    const labels = [`${LABELS.instance}=${this.#instance}`, LABELS.dyno];
    if (app) labels.push(`${LABELS.app}=${app}`);
    const containers = (await this.#docker.listContainers({ all: true, filters: { label: labels } })).filter(
      (info) => !info.Labels[LABELS.oneOff],
    );
    return containers.map((info) => {
      const port = info.Ports.find((p) => p.PrivatePort === DYNO_PORT && p.IP === '127.0.0.1')?.PublicPort;
      const labels = info.Labels;
      const exited = /^Exited \((-?\d+)\)/.exec(info.Status)?.[1];
      return {
        id: info.Id,
        key: labels[LABELS.key] ?? '',
        containerName: (info.Names[0] ?? '').replace(/^\//, ''),
        app: labels[LABELS.app] ?? '',
        dyno: labels[LABELS.dyno] ?? '',
        process: labels[LABELS.process] ?? '',
        releaseId: labels[LABELS.release] ?? '',
        version: Number(labels[LABELS.version] ?? 0),
        command: info.Command.replace(/^\/bin\/sh -c /, ''),
        createdAt: new Date(info.Created * 1000),
        running: info.State === 'running',
        ...(port ? { hostPort: port } : {}),
        ...(exited !== undefined ? { exitCode: Number(exited) } : {}),
      };
    });
  }

  /**
   * Calls onDie for every container of this instance that exits, as Docker
   * reports it; returns a function that stops watching. When the stream ends
   * or fails (dockerd restarted), it is reopened with backoff and onReopen
   * runs: deaths while it was closed went unseen, so the caller reconciles.
   */
  async watchDeaths(onDie: (death: DynoDeath) => void, onReopen: () => void = () => {}): Promise<() => void> {
    let stopped = false;
    let current: (NodeJS.ReadableStream & { destroy(): void }) | undefined;
    let retry: NodeJS.Timeout | undefined;
    let delayMs: number = REOPEN_BACKOFF.initialMs;
    const open = async () => {
      const stream = (await this.#docker.getEvents({
        filters: { type: ['container'], event: ['die'], label: [`${LABELS.instance}=${this.#instance}`] },
      })) as unknown as NodeJS.ReadableStream & { destroy(): void };
      if (stopped) return stream.destroy();
      current = stream;
      let pending = '';
      stream.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines.filter(Boolean)) onDie(toDeath(line));
      });
      let closed = false;
      const reopen = () => {
        if (closed) return;
        closed = true;
        stream.destroy();
        if (!stopped) schedule();
      };
      stream.on('end', reopen);
      stream.on('close', reopen);
      stream.on('error', reopen);
    };
    const schedule = () => {
      retry = setTimeout(() => {
        open().then(
          () => {
            delayMs = REOPEN_BACKOFF.initialMs;
            // A restarted dockerd may have rebuilt its chains: check the networks' rules again.
            this.#isolated.clear();
            if (!stopped) onReopen();
          },
          () => {
            delayMs = Math.min(delayMs * 2, REOPEN_BACKOFF.capMs);
            if (!stopped) schedule();
          },
        );
      }, delayMs);
      retry.unref();
    };
    await open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      current?.destroy();
    };
  }

  /**
   * Follows a dyno's stdout and stderr from `since`, one call per line with
   * Docker's timestamp, until the container stops; returns a stop function.
   */
  async followLogs(id: string, since: Date | undefined, onLine: (at: Date, line: string) => void): Promise<() => void> {
    const stream = (await this.#docker.getContainer(id).logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(since ? { since: since.getTime() / 1000 } : {}),
    })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    const output = new PassThrough();
    this.#docker.modem.demuxStream(stream, output, output);
    stream.on('end', () => output.end());
    stream.on('error', () => output.end());
    const lines = createInterface({ input: output });
    lines.on('line', (raw) => {
      const space = raw.indexOf(' ');
      const at = new Date(raw.slice(0, space));
      if (since && at <= since) return;
      onLine(Number.isNaN(at.getTime()) ? new Date() : at, raw.slice(space + 1));
    });
    return () => stream.destroy();
  }

  /** Whether the container still runs, and its exit code when it does not. */
  async dynoState(id: string): Promise<{ running: boolean; exitCode: number }> {
    const info = await this.#docker.getContainer(id).inspect();
    return { running: info.State.Running, exitCode: info.State.ExitCode };
  }

  async dynoLogTail(id: string, lines: number): Promise<string> {
    const buffer = (await this.#docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer;
    return demultiplex(buffer);
  }

  /** Removes the images built for an app (all its releases), e.g. when it is destroyed. */
  async removeAppImages(appId: string): Promise<void> {
    const images = await this.#docker.listImages({
      all: true,
      filters: { label: [`${LABELS.instance}=${this.#instance}`, `${LABELS.appId}=${appId}`] },
    });
    // Children before parents: newest first.
    for (const image of images.sort((a, b) => b.Created - a.Created)) {
      await this.#docker.getImage(image.Id).remove({ force: true }).catch((error: unknown) => {
        if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
      });
    }
  }

  /** Tags of the images built for an app. */
  async appImageTags(appId: string): Promise<string[]> {
    const images = await this.#docker.listImages({
      filters: { label: [`${LABELS.instance}=${this.#instance}`, `${LABELS.appId}=${appId}`] },
    });
    return images.flatMap((image) => image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
  }

  /** Untags (and so frees) an image; one still used by a container stays. */
  async removeImageTag(tag: string): Promise<boolean> {
    try {
      await this.#docker.getImage(tag).remove();
      return true;
    } catch (error) {
      if (statusOf(error) === 404 || statusOf(error) === 409) return false;
      throw error;
    }
  }

  /** SIGTERM, then SIGKILL after the grace period; then the container is removed. */
  async removeDyno(id: string, graceSeconds = 30): Promise<void> {
    const container = this.#docker.getContainer(id);
    try {
      await container.stop({ t: graceSeconds });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 304 && status !== 404) throw error;
    }
    try {
      await container.remove({ force: true });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 409) throw error;
    }
  }
}

/** How soon the Docker events stream is reopened after it ends: doubling, capped. */
const REOPEN_BACKOFF = { initialMs: 500, capMs: 15_000 } as const;

function toDeath(line: string): DynoDeath {
  const event = JSON.parse(line) as { id: string; Actor?: { Attributes?: Record<string, string> } };
  const attributes = event.Actor?.Attributes ?? {};
  return {
    id: event.id,
    app: attributes[LABELS.app] ?? '',
    dyno: attributes[LABELS.dyno] ?? '',
    releaseId: attributes[LABELS.release] ?? '',
    oneOff: Boolean(attributes[LABELS.oneOff]),
    exitCode: Number(attributes.exitCode ?? -1),
  };
}

function toObserved(info: Docker.ContainerInspectInfo): ObservedDyno | undefined {
  const labels = info.Config.Labels ?? {};
  if (!labels[LABELS.dyno]) return undefined;
  const binding = info.NetworkSettings.Ports?.[`${DYNO_PORT}/tcp`]?.find((b) => b.HostIp === '127.0.0.1');
  return {
    id: info.Id,
    key: labels[LABELS.key] ?? '',
    containerName: info.Name.replace(/^\//, ''),
    app: labels[LABELS.app] ?? '',
    dyno: labels[LABELS.dyno] ?? '',
    process: labels[LABELS.process] ?? '',
    releaseId: labels[LABELS.release] ?? '',
    version: Number(labels[LABELS.version] ?? 0),
    command: (info.Config.Cmd ?? []).slice(2).join(' '),
    createdAt: new Date(info.Created),
    running: info.State.Running,
    ...(binding ? { hostPort: Number(binding.HostPort) } : {}),
  };
}

/** Docker's log stream frames each chunk with an 8-byte header when there is no TTY. */
export function demultiplex(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
