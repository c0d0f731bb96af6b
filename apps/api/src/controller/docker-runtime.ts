import Docker from 'dockerode';
import type { DynoSpec } from './dyno-spec.js';
import { HostFirewall } from './host-firewall.js';
import type { ObservedDyno } from './reconcile.js';
import type { ObservedOneOff } from './one-off-sweep.js';
import type { AttachSession, DynoDeath, DynoState, Runtime, SubnetSource, UsedSubnet } from './runtime.js';
import { DockerNetworks } from './docker/networks.js';
import { LABELS, networkName } from '@plat/core';
import { dynoState, listDynos, removeDyno, startDyno, startDynoInSandbox } from './docker/dynos.js';
import { Sandboxes } from './docker/sandboxes.js';
import { BuildSandboxes, type BuildNetwork } from './docker/build-sandboxes.js';
import { OneOffs } from './docker/one-offs.js';
import { appImageTags, removeImageTag, tagImage } from './docker/images.js';
import { watchDeaths } from './docker/events.js';
import { type StatsHandlers, watchStats } from './docker/stats.js';
import { followLogs, logTail } from './docker/logs.js';

/** At most this many sandboxes stand ready for one push. */
const MAX_STANDING = 5;

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
  /** None on a swarm: its formation dynos are services' tasks, which Swarm starts. */
  readonly #sandboxes: Sandboxes | undefined;
  readonly #buildSandboxes: BuildSandboxes | undefined;
  readonly #ensuring = new Map<string, Promise<void>>();
  /** Dynos killed because their sandbox died: their deaths are told as no crash of theirs. */
  readonly #sandboxLost = new Set<string>();

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
    const local = options.networkDriver !== 'overlay';
    this.#sandboxes = local ? new Sandboxes({ docker: this.#docker, instance: this.#instance }) : undefined;
    this.#buildSandboxes = local ? new BuildSandboxes({ docker: this.#docker, instance: this.#instance }) : undefined;
  }

  async ping(): Promise<void> {
    await this.#docker.ping();
  }

  /**
   * An app's network; named and labelled by the app's id, so a rename keeps it (and its add-ons). Calls at
   * once share one: a push's sandboxes and its rollout may both ask on the app's first deploy.
   */
  ensureNetwork(name: string, app: string, appId?: string): Promise<void> {
    const pending = this.#ensuring.get(name);
    if (pending) return pending;
    const ensured = this.#networks.ensureApp(name, app, appId).finally(() => {
      if (this.#ensuring.get(name) === ensured) this.#ensuring.delete(name);
    });
    this.#ensuring.set(name, ensured);
    return ensured;
  }

  subnetsInUse(): Promise<UsedSubnet[]> {
    return this.#networks.subnetsInUse();
  }

  /** The network image builds of pushed code run on: isolated from the host like the apps' own. */
  ensureBuildNetwork(): Promise<string> {
    return this.#networks.ensureBuild();
  }

  remakeOpenBuildNetwork(): Promise<string | undefined> {
    return this.#networks.remakeOpenBuild();
  }

  /** Removes an app's network, its spare sandbox first (Docker keeps a network that has a container on it). */
  async removeNetwork(name: string): Promise<void> {
    await this.#sandboxes?.dropSpare(name);
    await this.#networks.remove(name);
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

  /**
   * Starts network sandboxes on the app's network (made first when missing) for the release phase and web
   * dynos of a push that builds now: a start in one takes ~0.1 s, Docker's network setup (~0.2 s) done
   * ahead; the app's spare counts as one. Those no dyno joins go when the returned function is called.
   */
  standBy(app: { name: string; id: string }, count: number): () => Promise<void> {
    const sandboxes = this.#sandboxes;
    if (!sandboxes || count < 1) return async () => {};
    // Each start competes with the build for the CPU: past a few, the rest start the usual way.
    const standing = Math.min(count, MAX_STANDING);
    const network = networkName(this.#instance, app.id);
    const labels = { [LABELS.instance]: this.#instance, [LABELS.app]: app.name, [LABELS.appId]: app.id };
    const ready = this.ensureNetwork(network, app.name, app.id).then(
      () => sandboxes.prepare(network, labels, standing),
      // No network, no sandbox: the rollout makes the network and its dynos start the usual way.
      () => {},
    );
    return async () => {
      await ready;
      await sandboxes.discard(network);
    };
  }

  /**
   * Creates and starts the dyno's container (a web dyno in a sandbox: the app's spare, or one a push
   * readied); resolves with it.
   */
  async ensureDyno(spec: DynoSpec): Promise<ObservedDyno> {
    const sandboxes = this.#sandboxes;
    const sandbox = spec.web ? await sandboxes?.take(spec.network, { spare: true }) : undefined;
    if (sandboxes && sandbox) {
      const dyno = await startDynoInSandbox(this.#docker, spec, sandbox).catch(async (error: unknown) => {
        await sandboxes.remove(sandbox.id).catch(() => {});
        throw error;
      });
      if (dyno) {
        sandboxes.joined(sandbox.id);
        return dyno;
      }
      // It would not start there (a sandbox that died meanwhile): the usual way, where any real fault shows.
      await sandboxes.remove(sandbox.id).catch(() => {});
    }
    return startDyno(this.#docker, spec);
  }

  /** The app wants no web dyno now (scaled to zero, asleep, destroyed): its spare sandbox goes, and no other stays. */
  async dropSpareSandbox(network: string): Promise<void> {
    await this.#sandboxes?.dropSpare(network);
  }

  /**
   * Where the app's build runs: in its build sandbox on the build network when one stands ready
   * (build-sandboxes.ts), else on the build network itself; nothing on a swarm. Call `done` once the build
   * has ended, saying whether it succeeded (a failed one leaves no sandbox: wait for it).
   */
  async joinBuildSandbox(app: { id: string; name: string }, network: string): Promise<BuildNetwork | undefined> {
    return this.#buildSandboxes?.join(app, network);
  }

  /** Removes the app's build sandbox, once a start under way has ended (the app is being destroyed). */
  async forgetBuildSandbox(appId: string): Promise<void> {
    await this.#buildSandboxes?.forget(appId);
  }

  /**
   * Removes network sandboxes that no dyno joined and no push waits on (platd stopped mid-push), and build
   * sandboxes long unused.
   */
  async sweepSandboxes(): Promise<void> {
    const swept = await Promise.allSettled([this.#sandboxes?.sweep(), this.#buildSandboxes?.sweep()]);
    const failed = swept.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Runs a one-off dyno to its end, passing each line it prints to onLine,
   * and resolves with its exit code; the container is removed either way.
   */
  async runOneOff(spec: DynoSpec, options: { onLine: (line: string) => void; timeoutMs: number }): Promise<number> {
    // The release phase of a push runs in a sandbox readied while it built, when one is ready; other
    // one-offs (a scheduler's job, a detached run) leave those to the push.
    const sandboxes = this.#sandboxes;
    const sandbox = spec.process === 'release' ? await sandboxes?.take(spec.network, { spare: false }) : undefined;
    if (sandboxes && sandbox) {
      // Once it has ended, its sandbox goes without holding up the release (stopping one takes Docker ~0.1 s).
      const code = await this.#oneOffs
        .run(spec, options, sandbox)
        .finally(() => void sandboxes.remove(sandbox.id).catch(() => {}));
      if (code !== undefined) return code;
    }
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
      onDie: (death) => {
        // The dynos in a sandbox that died lost their network: they are killed, and their deaths say so (a
        // build sandbox has none).
        if (death.sandbox)
          void this.#sandboxes
            ?.died(death.id, (dyno) => {
              this.#sandboxLost.add(dyno);
              // A dyno that was dead already sends no death to take it off.
              setTimeout(() => this.#sandboxLost.delete(dyno), 60_000).unref();
            })
            .catch(() => {});
        else onDie(this.#sandboxLost.delete(death.id) ? { ...death, cause: 'sandbox' } : death);
      },
      onReopen: () => {
        // A restarted dockerd may have rebuilt its chains: check the networks' rules again (a check under way
        // began before the restart).
        this.#networks.forgetIsolation();
        this.#ensuring.clear();
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

  /**
   * SIGTERM, then SIGKILL after the grace period; then the container is removed, and its sandbox kept as
   * the app's spare (Sandboxes.retire) or removed.
   */
  async removeDyno(id: string, graceSeconds = 30): Promise<void> {
    const joined = await removeDyno(this.#docker, id, graceSeconds);
    if (joined && this.#sandboxes) {
      const network = networkName(this.#instance, joined.appId);
      await this.#sandboxes.retire(joined.sandbox, { network, appId: joined.appId });
    }
  }
}
