/**
 * A Runtime in memory, for controller and service tests without Docker.
 * Containers are records; a web dyno that serves answers HTTP on a real
 * 127.0.0.1 port, so the controller's readiness probe runs unchanged.
 * Every start, stop, crash and one-off is written to `journal`, which a
 * FakeRouter can share, so tests can check the order of a rollout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildNetworkName, LABELS } from '@plat/core';
import type { DynoSpec } from '../controller/dyno-spec.js';
import type { ObservedOneOff } from '../controller/one-off-sweep.js';
import type { ObservedDyno } from '../controller/reconcile.js';
import type { StatsHandlers } from '../controller/docker/stats.js';
import type { AttachSession, DynoDeath, DynoState, Runtime, SubnetSource, UsedSubnet } from '../controller/runtime.js';

/** How a started dyno behaves: answers on its port, exits at boot, or runs without ever answering. */
export type DynoBehaviour = 'serve' | 'crash' | 'silent';

/** What a one-off prints and exits with; a promise keeps it running until it settles. */
export interface OneOffOutcome {
  lines: string[];
  exitCode: number;
}

export interface FakeContainer {
  id: string;
  spec: DynoSpec;
  running: boolean;
  exitCode?: number;
  port?: number;
  createdAt: Date;
  output: string[];
  /** One-offs this runtime runs for a caller; orphans (of an earlier platd) are not. */
  tracked: boolean;
  server?: Server;
}

/** The exit code Docker reports for a container stopped with SIGTERM. */
const STOPPED = 143;

export class FakeRuntime implements Runtime {
  readonly instance: string;
  readonly journal: string[];
  /** Decides, per start, how the dyno behaves (default: it serves). */
  behaviour: (spec: DynoSpec) => DynoBehaviour = () => 'serve';
  /** Decides what each one-off prints and exits with (default: nothing, 0). */
  oneOffOutcome: (spec: DynoSpec) => OneOffOutcome | Promise<OneOffOutcome> = () => ({ lines: [], exitCode: 0 });
  /** ping() fails while set, as with dockerd down. */
  down = false;
  /** Network name to the app id it was made for (undefined for the build network). */
  readonly networks = new Map<string, string | undefined>();
  /** App network name to the subnet it was made with, when the runtime has a SubnetSource. */
  readonly subnets = new Map<string, string>();
  /** Subnets others use on the "host" (other platds' networks, routes), as subnetsInUse reports them. */
  foreignSubnets: UsedSubnet[] = [];
  readonly #subnetSource: SubnetSource | undefined;
  /** Image tags per app id. */
  readonly images = new Map<string, Set<string>>();
  readonly #containers = new Map<string, FakeContainer>();
  readonly #watchers = new Set<(death: DynoDeath) => void>();
  readonly #followers = new Map<string, Set<(at: Date, line: string) => void>>();
  #next = 1;

  constructor(options: { instance?: string; journal?: string[]; subnets?: SubnetSource } = {}) {
    this.instance = options.instance ?? 'fake';
    this.journal = options.journal ?? [];
    this.#subnetSource = options.subnets;
  }

  async ping(): Promise<void> {
    if (this.down) throw new Error('connect ENOENT /var/run/docker.sock');
  }

  async ensureNetwork(name: string, _app: string, appId?: string): Promise<void> {
    if (this.networks.has(name)) return;
    if (appId && this.#subnetSource) this.subnets.set(name, await this.#subnetSource.blockOf(appId));
    this.networks.set(name, appId);
  }

  async subnetsInUse(): Promise<UsedSubnet[]> {
    const own = [...this.subnets].map(([name, subnet]) => ({ subnet, own: true, what: `Docker network ${name}` }));
    return [...own, ...this.foreignSubnets];
  }

  async ensureBuildNetwork(): Promise<string> {
    const name = buildNetworkName(this.instance);
    this.networks.set(name, undefined);
    return name;
  }

  async removeNetwork(name: string): Promise<void> {
    this.networks.delete(name);
    this.subnets.delete(name);
  }

  async detachAddons(): Promise<void> {}

  async removeOrphanNetworks(liveAppIds: () => Promise<Set<string>>): Promise<void> {
    const appNetworks = [...this.networks].filter(([, appId]) => appId !== undefined);
    const live = await liveAppIds();
    for (const [name, appId] of appNetworks) if (!live.has(appId!)) await this.removeNetwork(name);
  }

  async ensureDyno(spec: DynoSpec): Promise<ObservedDyno> {
    const container = this.#create(spec, true);
    const behaviour = this.behaviour(spec);
    if (spec.web) container.port = behaviour === 'serve' ? await this.#serve(container) : await unusedPort();
    this.journal.push(`start ${label(spec)}`);
    // Docker says running right after start; a dyno that crashes at boot exits a moment later.
    if (behaviour === 'crash') setImmediate(() => this.#exit(container, 1, 'crash'));
    return observe(container);
  }

  async listDynos(app?: string): Promise<ObservedDyno[]> {
    return [...this.#containers.values()].filter((container) => isDynoOf(container, app)).map(observe);
  }

  async dynoState(id: string): Promise<DynoState> {
    const container = this.#find(id);
    return { running: container.running, exitCode: container.exitCode ?? 0 };
  }

  async dynoLogTail(id: string, lines: number): Promise<string> {
    return this.#find(id).output.slice(-lines).join('\n');
  }

  async followLogs(
    id: string,
    _since: Date | undefined,
    onLine: (at: Date, line: string) => void,
  ): Promise<() => void> {
    this.#find(id);
    const listeners = this.#followers.get(id) ?? new Set();
    this.#followers.set(id, listeners);
    listeners.add(onLine);
    return () => listeners.delete(onLine);
  }

  async removeDyno(id: string): Promise<void> {
    const container = this.#containers.get(id);
    if (!container) return;
    if (container.running) this.#exit(container, STOPPED, 'stop');
    this.#containers.delete(id);
    this.#followers.delete(id);
  }

  async watchDeaths(onDie: (death: DynoDeath) => void): Promise<() => void> {
    this.#watchers.add(onDie);
    return () => this.#watchers.delete(onDie);
  }

  /** Tests feed samples and OOM kills with `stats`. */
  readonly statsWatchers = new Set<StatsHandlers>();
  async watchStats(handlers: StatsHandlers): Promise<() => void> {
    this.statsWatchers.add(handlers);
    return () => this.statsWatchers.delete(handlers);
  }

  async runOneOff(spec: DynoSpec, options: { onLine: (line: string) => void; timeoutMs: number }): Promise<number> {
    return this.#runToEnd(spec, (line) => options.onLine(line));
  }

  async attachOneOff(spec: DynoSpec, session: AttachSession): Promise<number> {
    return this.#runToEnd(spec, (line) => session.onStdout(Buffer.from(`${line}\n`)));
  }

  async listOneOffs(): Promise<ObservedOneOff[]> {
    return [...this.#containers.values()].filter(isOneOff).map((container) => ({
      id: container.id,
      app: container.spec.app,
      dyno: container.spec.dyno,
      running: container.running,
      createdAt: container.createdAt,
      tracked: container.tracked,
    }));
  }

  async appImageTags(appId: string): Promise<string[]> {
    return [...(this.images.get(appId) ?? [])];
  }

  /** As Docker: a tag goes at once while the image has another; its last one stays while a container runs it. */
  async removeImageTag(tag: string): Promise<boolean> {
    const id = this.#imageIds.get(tag) ?? tag;
    const names = [...this.images.values()].flatMap((tags) => [...tags]).filter((name) => this.#idOf(name) === id);
    const inUse = [...this.#containers.values()].some((container) => this.#idOf(container.spec.image) === id);
    if (names.length <= 1 && inUse) return false;
    this.#imageIds.delete(tag);
    return [...this.images.values()].some((tags) => tags.delete(tag));
  }

  /** The tag joins the set of the app that holds the image, with the same image id. */
  async tagImage(image: string, tag: string): Promise<void> {
    const holder = [...this.images.values()].find((tags) => tags.has(image));
    if (!holder) throw new Error(`no such image: ${image}`);
    holder.add(tag);
    this.#imageIds.set(tag, this.#idOf(image));
  }

  /** Image ids by tag, for tags made by tagImage; any other tag is its own image. */
  readonly #imageIds = new Map<string, string>();
  #idOf(tag: string): string {
    return this.#imageIds.get(tag) ?? tag;
  }

  // What tests do and see.

  /** The dyno exits on its own (Docker reports its death), e.g. `crash('hello', 'web.1')`. */
  crash(app: string, dyno: string, exitCode = 1, cause?: DynoDeath['cause']): FakeContainer {
    const container = this.containers().find(
      (candidate) => isDynoOf(candidate, app) && candidate.spec.dyno === dyno && candidate.running,
    );
    if (!container) throw new Error(`no running ${dyno} of ${app} to crash`);
    this.#exit(container, exitCode, 'crash', cause);
    return container;
  }

  /** A line of output from the dyno's container, to whoever follows it. */
  print(id: string, line: string): void {
    const container = this.#find(id);
    container.output.push(line);
    for (const listener of this.#followers.get(id) ?? []) listener(new Date(), line);
  }

  /** A one-off container an earlier platd left behind. */
  orphanOneOff(spec: DynoSpec, options: { running: boolean; createdAt: Date }): FakeContainer {
    const container = this.#create(spec, options.running);
    container.tracked = false;
    container.createdAt = options.createdAt;
    return container;
  }

  /** Containers as they are now, one-offs included. */
  containers(): FakeContainer[] {
    return [...this.#containers.values()];
  }

  /** Running formation dynos, as `web.1@v2`, sorted (of one app, when named). */
  running(app?: string): string[] {
    return this.containers()
      .filter((container) => container.running && isDynoOf(container, app))
      .map((container) => label(container.spec))
      .sort();
  }

  /** Which dyno's container answers on this 127.0.0.1 port, as `web.1@v2`. */
  dynoAt(port: number): string | undefined {
    const container = this.containers().find((candidate) => candidate.port === port);
    return container && label(container.spec);
  }

  /** Closes the ports of serving dynos. */
  async close(): Promise<void> {
    await Promise.all(this.containers().map((container) => closeServer(container)));
  }

  #create(spec: DynoSpec, running: boolean): FakeContainer {
    const id = `fake${String(this.#next++).padStart(8, '0')}`;
    const container: FakeContainer = { id, spec, running, createdAt: new Date(), output: [], tracked: true };
    this.#containers.set(id, container);
    return container;
  }

  #find(id: string): FakeContainer {
    const container = this.#containers.get(id);
    if (!container) throw Object.assign(new Error(`no such container: ${id}`), { statusCode: 404 });
    return container;
  }

  async #serve(container: FakeContainer): Promise<number> {
    const server = createServer((_request, response) => {
      response.end(`dyno ${container.spec.dyno} v${container.spec.version}\n`);
    });
    container.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  #exit(container: FakeContainer, exitCode: number, why: 'crash' | 'stop', cause?: DynoDeath['cause']): void {
    if (!container.running) return;
    container.running = false;
    container.exitCode = exitCode;
    void closeServer(container);
    this.journal.push(`${why} ${label(container.spec)}`);
    const { spec } = container;
    const { app, dyno, releaseId } = spec;
    const death = {
      id: container.id,
      app,
      dyno,
      releaseId,
      oneOff: isOneOff(container),
      exitCode,
      ...(cause ? { cause } : {}),
    };
    // Docker's event arrives after the call that stopped the container has returned.
    setImmediate(() => {
      for (const watcher of this.#watchers) watcher(death);
    });
  }

  async #runToEnd(spec: DynoSpec, onLine: (line: string) => void): Promise<number> {
    const container = this.#create(spec, true);
    this.journal.push(`run ${label(spec)}: ${spec.command}`);
    try {
      const outcome = await this.oneOffOutcome(spec);
      for (const line of outcome.lines) onLine(line);
      this.#exit(container, outcome.exitCode, 'stop');
      return outcome.exitCode;
    } finally {
      this.#containers.delete(container.id);
    }
  }
}

/** `web.1@v2`: a dyno and its release version. */
function label(spec: DynoSpec): string {
  return `${spec.dyno}@v${spec.version}`;
}

function isOneOff(container: FakeContainer): boolean {
  return container.spec.labels[LABELS.oneOff] === 'true';
}

/** A formation dyno (not a one-off), of the app when named. */
function isDynoOf(container: FakeContainer, app: string | undefined): boolean {
  return !isOneOff(container) && (app === undefined || container.spec.app === app);
}

function observe(container: FakeContainer): ObservedDyno {
  const { spec } = container;
  return {
    id: container.id,
    key: spec.key,
    containerName: `${spec.containerName}-${container.id.slice(-6)}`,
    app: spec.app,
    dyno: spec.dyno,
    process: spec.process,
    releaseId: spec.releaseId,
    version: spec.version,
    command: spec.command,
    createdAt: container.createdAt,
    running: container.running,
    ...(container.port ? { port: container.port } : {}),
    ...(!container.running && container.exitCode !== undefined ? { exitCode: container.exitCode } : {}),
  };
}

function closeServer(container: FakeContainer): Promise<void> {
  const { server } = container;
  container.server = undefined;
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on: a dyno there never answers. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
