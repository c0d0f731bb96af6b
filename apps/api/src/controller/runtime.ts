import type { DynoSpec } from './dyno-spec.js';
import type { StatsHandlers } from './docker/stats.js';
import type { ObservedOneOff } from './one-off-sweep.js';
import type { ObservedDyno } from './reconcile.js';

/**
 * What the controller and the services ask of a container runtime: dynos,
 * one-offs, app networks, app images. DockerRuntime is the one platd runs;
 * testing/fake-runtime.ts keeps the same promises in memory.
 */
export interface Runtime {
  ping(): Promise<void>;

  /**
   * Creates the app's network when missing, isolated from the host, labelled
   * by the app's id; a new one gets its subnet from the runtime's
   * SubnetSource (the app's block of PLAT_NETWORK_POOL). One that exists is
   * kept as it is.
   */
  ensureNetwork(name: string, app: string, appId?: string): Promise<void>;
  /** The IPv4 subnets the host already uses: every Docker network's, and its routes (not Docker's bridges). */
  subnetsInUse(): Promise<UsedSubnet[]>;
  /** The network image builds run on; resolves with its name. */
  ensureBuildNetwork(): Promise<string>;
  /**
   * At platd's start, before any build: a build network an earlier platd
   * made open is made again; resolves with why it stayed, when it did.
   */
  remakeOpenBuildNetwork?(): Promise<string | undefined>;
  removeNetwork(name: string): Promise<void>;
  /** Takes this instance's add-on containers off a network, so it can go. */
  detachAddons(name: string): Promise<void>;
  /** Removes app networks of apps no longer in `liveAppIds` (read after the networks are listed). */
  removeOrphanNetworks(liveAppIds: () => Promise<Set<string>>): Promise<void>;

  /**
   * Readies `count` network sandboxes on the app's network while its push
   * builds, so that its release phase and web dynos start without waiting for
   * the network's setup (the docker runtime; a runtime without them leaves it
   * out). Returns a function that removes those no dyno joined, for when the
   * push is over.
   */
  standBy?(app: { name: string; id: string }, count: number): () => Promise<void>;
  /** Removes network sandboxes no dyno joined and no push waits on (after standBy, when platd stopped mid-push). */
  sweepSandboxes?(): Promise<void>;
  /** The network mode for the app's build on the build network (its build sandbox's, when one stands ready). */
  joinBuildSandbox?(
    app: { id: string; name: string },
    network: string,
  ): Promise<{ network: string; done(succeeded: boolean): Promise<void> } | undefined>;
  /** Removes the app's build sandbox (the app is being destroyed). */
  forgetBuildSandbox?(appId: string): Promise<void>;
  /** The app (by its network) wants no web dyno now: its spare sandbox goes, and its stopping dynos leave none. */
  dropSpareSandbox?(network: string): Promise<void>;
  /** Creates and starts the dyno's container; resolves with what the runtime observed. */
  ensureDyno(spec: DynoSpec): Promise<ObservedDyno>;
  /** Formation dynos of this instance (of one app, when named), running or not; never one-offs. */
  listDynos(app?: string): Promise<ObservedDyno[]>;
  dynoState(id: string): Promise<DynoState>;
  /** The dyno's last lines of output, for a failed boot's message. */
  dynoLogTail(id: string, lines: number): Promise<string>;
  /** Follows a dyno's output from `since`, one call per line; resolves with a stop function. */
  followLogs(id: string, since: Date | undefined, onLine: (at: Date, line: string) => void): Promise<() => void>;
  /** SIGTERM, SIGKILL after the grace period, then removal; a container already gone is fine. */
  removeDyno(id: string, graceSeconds?: number): Promise<void>;
  /**
   * Calls onDie for every container of this instance that exits; returns a
   * function that stops watching. onReopen runs when the watch was lost and
   * is back: deaths in between went unseen.
   */
  watchDeaths(onDie: (death: DynoDeath) => void, onReopen?: () => void): Promise<() => void>;
  /** Samples this instance's dynos and add-ons about every 10 s, and reports OOM kills; returns a stop function. */
  watchStats(handlers: StatsHandlers): Promise<() => void>;

  /** Runs a one-off dyno to its end, line by line, and resolves with its exit code; it is removed either way. */
  runOneOff(spec: DynoSpec, options: { onLine: (line: string) => void; timeoutMs: number }): Promise<number>;
  /** Runs a one-off dyno attached to a session (plat run) and resolves with its exit code. */
  attachOneOff(spec: DynoSpec, session: AttachSession): Promise<number>;
  /** One-off containers of this instance, and whether this process is the one watching each. */
  listOneOffs(): Promise<ObservedOneOff[]>;

  /** Tags of the images built for an app. */
  appImageTags(appId: string): Promise<string[]>;
  /** Untags an image; false when it is gone or still in use. */
  removeImageTag(tag: string): Promise<boolean>;
  /**
   * Gives an image another tag (a promotion: the downstream app's own name for
   * the very same image). While an image has two tags, removing one by tag or
   * by id without force leaves it in place for the other.
   */
  tagImage(image: string, tag: string): Promise<void>;

  /**
   * A script that, run as root on a new node, gives its Docker the files to
   * pull app images from the registry (swarm with a registry over mutual
   * TLS); empty or absent when a node needs none.
   */
  registryTrust?(): string;
}

/** A subnet in use on the host, and whose. */
export interface UsedSubnet {
  subnet: string;
  /** A network of this platd: its own block, no clash. */
  own: boolean;
  /** For messages: `Docker network NAME`, `route via eth0`. */
  what: string;
}

/** Where a new app network's subnet comes from: services/app-subnets.ts, over the state store. */
export interface SubnetSource {
  /** The app's block (CIDR), reserved now when it has none (an app from before PLAT_NETWORK_POOL). */
  blockOf(appId: string): Promise<string>;
  /** Docker refused `refused` (another platd took it meanwhile): the app gets the next free block. */
  replace(appId: string, refused: string): Promise<string>;
}

export interface DynoState {
  running: boolean;
  exitCode: number;
}

/** A container of this instance that exited, as the runtime reports it. */
export interface DynoDeath {
  id: string;
  app: string;
  dyno: string;
  releaseId: string;
  oneOff: boolean;
  exitCode: number;
  /** The container's name, which a platd gives its own (isInstanceContainer). */
  name?: string;
  /** A network sandbox's container, not a dyno's: the docker runtime's own business. */
  sandbox?: boolean;
  /** Not the app's doing: the dyno was stopped because its network sandbox died and took its network. */
  cause?: 'sandbox';
}

/** A terminal-like session a one-off dyno is attached to. */
export interface AttachSession {
  tty: boolean;
  size?: { cols: number; rows: number };
  stdin: NodeJS.ReadableStream;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
  /** Called when a handler answered false (its client is behind): output pauses until resume. */
  whenDrained?: (resume: () => void) => void;
  signal: AbortSignal;
}
