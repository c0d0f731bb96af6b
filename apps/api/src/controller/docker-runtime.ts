import Docker from 'dockerode';
import type { DynoSpec } from './dyno-spec.js';
import { HostFirewall } from './host-firewall.js';
import type { ObservedDyno } from './reconcile.js';
import type { ObservedOneOff } from './one-off-sweep.js';
import type { AttachSession, DynoDeath, DynoState, Runtime, SubnetSource, UsedSubnet } from './runtime.js';
import { DockerNetworks } from './docker/networks.js';
import { dynoState, listDynos, removeDyno, startDyno } from './docker/dynos.js';
import { OneOffs } from './docker/one-offs.js';
import { appImageTags, removeAppImages, removeImageTag, tagImage } from './docker/images.js';
import { watchDeaths } from './docker/events.js';
import { type StatsHandlers, watchStats } from './docker/stats.js';
import { followLogs, logTail } from './docker/logs.js';

/**
 * platd's only door to Docker for apps: intent in, containers out. The
 * work is in docker/ (networks, dynos, one-offs, images, events, logs) and
 * container-options.ts; this class holds what they share. Everything it
 * creates carries the instance label, so two platds never touch each
 * other's containers or networks.
 */
export class DockerRuntime implements Runtime {
  readonly #docker: Docker;
  readonly #instance: string;
  readonly #networks: DockerNetworks;
  readonly #oneOffs: OneOffs;

  /** `subnets`: where app networks' subnets come from (platd's pool); without it, Docker's own pools. */
  /** `networkDriver`: `overlay` for the swarm runtime's app networks. */
  constructor(options: {
    instance: string;
    docker?: Docker;
    firewall?: HostFirewall;
    subnets?: SubnetSource;
    networkDriver?: 'bridge' | 'overlay';
  }) {
    this.#docker = options.docker ?? new Docker();
    this.#instance = options.instance;
    const firewall = options.firewall ?? new HostFirewall({ instance: options.instance });
    this.#networks = new DockerNetworks({
      docker: this.#docker,
      instance: this.#instance,
      firewall,
      ...(options.subnets ? { subnets: options.subnets } : {}),
      ...(options.networkDriver ? { driver: options.networkDriver } : {}),
    });
    this.#oneOffs = new OneOffs({ docker: this.#docker, instance: this.#instance });
  }

  async ping(): Promise<void> {
    await this.#docker.ping();
  }

  /** An app's network; named and labelled by the app's id, so a rename keeps it (and its add-ons). */
  ensureNetwork(name: string, app: string, appId?: string): Promise<void> {
    return this.#networks.ensureApp(name, app, appId);
  }

  subnetsInUse(): Promise<UsedSubnet[]> {
    return this.#networks.subnetsInUse();
  }

  /** The network image builds of pushed code run on: isolated from the host like the apps' own. */
  ensureBuildNetwork(): Promise<string> {
    return this.#networks.ensureBuild();
  }

  removeNetwork(name: string): Promise<void> {
    return this.#networks.remove(name);
  }

  /**
   * Takes this instance's add-on containers off a network (they are on their
   * app's network by id too), so a network named by an app's old name can go.
   */
  detachAddons(name: string): Promise<void> {
    return this.#networks.detachAddons(name);
  }

  /**
   * Removes app networks (by id) of apps that are gone; one still in use
   * stays for the next sweep. The apps are read after the networks are
   * listed, so an app created meanwhile keeps its new network.
   */
  removeOrphanNetworks(liveAppIds: () => Promise<Set<string>>): Promise<void> {
    return this.#networks.removeOrphans(liveAppIds);
  }

  /** Creates and starts the dyno's container; resolves with what Docker observed. */
  ensureDyno(spec: DynoSpec): Promise<ObservedDyno> {
    return startDyno(this.#docker, spec);
  }

  /**
   * Runs a one-off dyno to its end, passing each line it prints to onLine,
   * and resolves with its exit code; the container is removed either way.
   */
  runOneOff(spec: DynoSpec, options: { onLine: (line: string) => void; timeoutMs: number }): Promise<number> {
    return this.#oneOffs.run(spec, options);
  }

  /**
   * Runs a one-off dyno attached to a terminal-like session: stdin in,
   * stdout and stderr out (one raw stream with a TTY), resolving with the
   * exit code. The container is removed either way.
   */
  attachOneOff(spec: DynoSpec, session: AttachSession): Promise<number> {
    return this.#oneOffs.attach(spec, session);
  }

  /** This instance's one-off containers, running or not, and whether this process is the one watching each. */
  listOneOffs(): Promise<ObservedOneOff[]> {
    return this.#oneOffs.list();
  }

  /** Dynos of this instance's formations (of one app, when named), running or not; one-offs are not among them. */
  listDynos(app?: string): Promise<ObservedDyno[]> {
    return listDynos(this.#docker, this.#instance, app);
  }

  /**
   * Calls onDie for every container of this instance that exits, as Docker
   * reports it; returns a function that stops watching. When the stream ends
   * or fails (dockerd restarted), it is reopened with backoff and onReopen
   * runs: deaths while it was closed went unseen, so the caller reconciles.
   */
  watchDeaths(onDie: (death: DynoDeath) => void, onReopen: () => void = () => {}): Promise<() => void> {
    return watchDeaths(this.#docker, this.#instance, {
      onDie,
      onReopen: () => {
        // A restarted dockerd may have rebuilt its chains: check the networks' rules again.
        this.#networks.forgetIsolation();
        onReopen();
      },
    });
  }

  /** One streaming stats request per running dyno and add-on of this instance (docker/stats.ts). */
  watchStats(handlers: StatsHandlers): Promise<() => void> {
    return watchStats(this.#docker, this.#instance, handlers);
  }

  /**
   * Follows a dyno's stdout and stderr from `since`, one call per line with
   * Docker's timestamp, until the container stops; returns a stop function.
   */
  followLogs(id: string, since: Date | undefined, onLine: (at: Date, line: string) => void): Promise<() => void> {
    return followLogs(this.#docker, id, since, onLine);
  }

  /** Whether the container still runs, and its exit code when it does not. */
  dynoState(id: string): Promise<DynoState> {
    return dynoState(this.#docker, id);
  }

  dynoLogTail(id: string, lines: number): Promise<string> {
    return logTail(this.#docker.getContainer(id), lines);
  }

  /** Removes the images built for an app (all its releases), e.g. when it is destroyed. */
  removeAppImages(appId: string): Promise<void> {
    return removeAppImages(this.#docker, this.#instance, appId);
  }

  /** Tags of the images built for an app. */
  appImageTags(appId: string): Promise<string[]> {
    return appImageTags(this.#docker, this.#instance, appId);
  }

  tagImage(image: string, tag: string): Promise<void> {
    return tagImage(this.#docker, image, tag);
  }

  /** Untags (and so frees) an image; one still used by a container stays. */
  removeImageTag(tag: string): Promise<boolean> {
    return removeImageTag(this.#docker, tag);
  }

  /** SIGTERM, then SIGKILL after the grace period; then the container is removed. */
  removeDyno(id: string, graceSeconds = 30): Promise<void> {
    return removeDyno(this.#docker, id, graceSeconds);
  }
}
