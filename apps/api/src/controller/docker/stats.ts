import type Docker from 'dockerode';
import { ADDON_LABELS, instanceFilter, isInstanceContainer, LABELS } from '@plat/core';
import {
  type HostFiles,
  type HostRound,
  type HostTarget,
  hostFiles,
  readHostRound,
  readHostStats,
} from './host-stats.js';
import { dynoOf } from './task-dyno.js';
import {
  type ContainerStats,
  parseDockerStats,
  type OomKill,
  type StatsSource,
} from '../../metrics/container-stats.js';

/** One round of stats reads this often: the sampler stores a point per container every 10 s. */
const ROUND_MS = 10_000;
/**
 * Stats requests open at once: at least 4, more with many containers so that
 * a round takes about ROUND_READS reads, at most 32. Docker 20.10 answers a
 * one-shot request at its next once-a-second collection (one pass over every
 * container asked for), so a read takes up to 1 s however cheap it is: 4 at a
 * time, 50 containers took 13 s a round, longer than the 10 s between rounds.
 */
const MIN_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;
const ROUND_READS = 5;
/** A container whose stats take longer than this is skipped for the round, so one stuck read cannot stall the rest. */
const REQUEST_TIMEOUT_MS = 5_000;
const REOPEN_MS = 2_000;
/**
 * A round lists the containers again when Docker's events said one started
 * or died since the last listing, when a reading failed, while the events
 * stream is down, and at least this often: a listing of 100 containers (their
 * labels, ports, mounts) cost more than reading them, every round.
 */
const RELIST_MS = 60_000;
/** Host reads that fail before any succeeds, after which a watch asks Docker's API only. */
const HOST_TRIES = 3;

type Stream = NodeJS.ReadableStream & { destroy(): void };

export interface StatsHandlers {
  onSample: (stats: ContainerStats) => void;
  onOom: (kill: OomKill) => void;
}

export interface WatchStatsOptions {
  roundMs?: number;
  /**
   * Reads containers' stats from this host's kernel files, by their init
   * processes (host-stats.ts), through this reader (by default the files
   * under /); false asks Docker's API only. Where it cannot (Docker on
   * another host), the first reads find out and the API is used.
   */
  hostStats?: false | HostFiles;
  /** Requests open at once; by default as many as `concurrencyFor` says. */
  concurrency?: number;
  timeoutMs?: number;
}

/** How many stats requests a round of `containers` keeps open at once. */
export function concurrencyFor(containers: number): number {
  return Math.min(MAX_CONCURRENCY, Math.max(MIN_CONCURRENCY, Math.ceil(containers / ROUND_READS)));
}

/** A formation dyno or an add-on of this instance, by its labels; one-offs and builds are not sampled. */
export function statsSource(id: string, labels: Record<string, string>): StatsSource | undefined {
  const appId = labels[LABELS.appId];
  const app = labels[LABELS.app];
  if (!appId || !app || labels[LABELS.oneOff]) return undefined;
  const addon = labels[ADDON_LABELS.name];
  if (addon) return { containerId: id, kind: 'addon', appId, app, type: addon, name: addon, releaseId: '' };
  const dyno = dynoOf(labels);
  const process = labels[LABELS.process];
  if (!dyno || !process) return undefined;
  return {
    containerId: id,
    kind: 'dyno',
    appId,
    app,
    type: process,
    name: dyno,
    releaseId: labels[LABELS.release] ?? '',
  };
}

/** Runs `work` on every item, at most `limit` at a time; `work` must not throw. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Samples this instance's dynos and add-ons in rounds, every 10 s: the
 * running containers (listed again only after a change, RELIST_MS), then one reading per container, a
 * bounded number at a time: from the kernel's files (host-stats.ts) where
 * Docker runs on this host, else a one-shot stats request. A stream per container kept dockerd
 * at 4-11% of a core with 50 containers (bench/metrics-sampling.ts): it reads
 * every container's cgroup each second whether or not anyone keeps the
 * document; read once a round, it costs under 1%. A one-shot reply has no
 * previous reading (`precpu` is empty), so CPU is measured between this
 * round's reading and the last round's: a container's first reading is kept
 * as the baseline and not reported. One events stream reports OOM kills
 * (R15), and deaths and starts that make a container's kept pid stale and
 * the listing old. Returns a stop function.
 */
export async function watchStats(
  docker: Docker,
  instance: string,
  handlers: StatsHandlers,
  options: WatchStatsOptions = {},
): Promise<() => void> {
  const roundMs = options.roundMs ?? ROUND_MS;
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  /** Each container's CPU counters at its last reading; containers no longer listed are dropped. */
  const previous = new Map<string, ContainerStats['cpu']>();
  const abort = new AbortController();
  let stopped = false;
  let events: Stream | undefined;
  let retry: NodeJS.Timeout | undefined;
  let nextRound: NodeJS.Timeout | undefined;
  /** The containers of the last listing, when it was taken, and whether Docker reported a change since. */
  let sources: StatsSource[] = [];
  let listedAt = Number.NEGATIVE_INFINITY;
  let relist = true;

  /**
   * Each container's init process, from one inspect, and its cgroup's files
   * once a reading has checked them (/proc/PID/cgroup names the container):
   * dropped when its reading fails, it is no longer listed, or Docker reports
   * it died or started (a new init process; its old pid free for another).
   * The files are kept only while the events stream is open, since only it
   * would tell of a death: without it every reading checks /proc/PID/cgroup.
   */
  const targets = new Map<string, HostTarget>();
  const files = options.hostStats === false ? undefined : (options.hostStats ?? hostFiles());
  /** Whether the kernel's files answer here: settled by the first success, or by HOST_TRIES failures before one. */
  let hostReads: 'unknown' | 'yes' | 'no' = files ? 'unknown' : 'no';
  let hostMisses = 0;

  /** A container's target, its pid from one inspect; undefined when Docker cannot say (gone since the listing). */
  const targetOf = async (id: string): Promise<HostTarget | undefined> => {
    const known = targets.get(id);
    if (known) return known;
    let pid: number;
    try {
      pid = (await docker.getContainer(id).inspect()).State?.Pid ?? 0;
    } catch {
      return undefined;
    }
    const target: HostTarget = { pid };
    targets.set(id, target);
    return target;
  };

  const fromHost = async (source: StatsSource, host: HostRound | undefined): Promise<ContainerStats | undefined> => {
    if (!files || hostReads === 'no') return undefined;
    let stats: ContainerStats | undefined;
    if (host) {
      const target = await targetOf(source.containerId);
      if (!target) return undefined;
      stats = readHostStats(target, source, host, files);
      if (stats && !events) target.files = undefined;
    }
    if (stats) hostReads = 'yes';
    else {
      targets.delete(source.containerId);
      if (hostReads === 'unknown' && ++hostMisses >= HOST_TRIES) hostReads = 'no';
    }
    return stats;
  };

  const fromApi = async (source: StatsSource): Promise<ContainerStats | undefined> => {
    let json: unknown;
    try {
      // dockerode passes abortSignal to the request (its types leave it out), and the rest as the query.
      const request = {
        stream: false as const,
        // Without it Docker waits for a second reading (a second more) to fill precpu; the last round's does.
        'one-shot': true,
        abortSignal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]),
      };
      json = await docker.getContainer(source.containerId).stats(request);
    } catch {
      // Gone since the listing (the next listing drops it), or slow: its last reading stays the baseline.
      return undefined;
    }
    try {
      return parseDockerStats(source, json);
    } catch {
      return undefined;
    }
  };

  const read = async (source: StatsSource, host: HostRound | undefined): Promise<void> => {
    const stats = (await fromHost(source, host)) ?? (await fromApi(source));
    // Gone since the listing, most likely: the next round lists again.
    if (!stats) relist = true;
    if (stopped || !stats) return;
    const before = previous.get(source.containerId);
    previous.set(source.containerId, stats.cpu);
    // A first reading, or counters that went back (the container restarted): only a baseline.
    if (!before || stats.cpu.total < before.total || stats.cpu.system <= before.system) return;
    stats.precpu = { total: before.total, system: before.system };
    handlers.onSample(stats);
  };

  /** The containers to read this round: listed again only when something may have changed (RELIST_MS). */
  const list = async (): Promise<StatsSource[]> => {
    if (events && !relist && Date.now() - listedAt < RELIST_MS) return sources;
    // Cleared before the listing: an event that comes while it is under way asks for the next one.
    relist = false;
    const startedAt = Date.now();
    let running: Docker.ContainerInfo[];
    try {
      running = await docker.listContainers({ filters: { label: [instanceFilter(instance)] } });
    } catch (error) {
      relist = true;
      throw error;
    }
    sources = running
      .filter((info) => isInstanceContainer(instance, info.Names))
      .flatMap((info) => statsSource(info.Id, info.Labels ?? {}) ?? []);
    listedAt = startedAt;
    const listed = new Set(sources.map((source) => source.containerId));
    for (const id of previous.keys()) if (!listed.has(id)) previous.delete(id);
    for (const id of targets.keys()) if (!listed.has(id)) targets.delete(id);
    return sources;
  };

  const round = async (): Promise<void> => {
    const sources = await list();
    if (stopped) return;
    // The host's CPU time once for the round, not once per container: the same file at the same moment.
    const host = files && hostReads !== 'no' ? readHostRound(files) : undefined;
    await eachLimited(sources, options.concurrency ?? concurrencyFor(sources.length), (source) => read(source, host));
    // The cgroup files kept open of containers this round did not read (gone, or read from the API) are closed.
    files?.sweep?.();
  };

  // The next round starts a round's length after this one started, never before this one ends.
  const scheduleRound = (startedAt: number) => {
    if (stopped) return;
    nextRound = setTimeout(
      () => {
        nextRound = undefined;
        const started = Date.now();
        round()
          .catch(() => {
            // Docker busy or restarting: the next round lists again.
          })
          .finally(() => scheduleRound(started));
      },
      Math.max(0, startedAt + roundMs - Date.now()),
    );
    nextRound.unref();
  };

  const openEvents = async () => {
    const stream = (await docker.getEvents({
      filters: { type: ['container'], event: ['oom', 'die', 'start'], label: [instanceFilter(instance)] },
    })) as unknown as Stream;
    if (stopped) return stream.destroy();
    // Files checked before this stream opened may be of a container that died unreported: check them again.
    for (const target of targets.values()) target.files = undefined;
    events = stream;
    // What started or died while no stream was open went unreported: the next round lists.
    relist = true;
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        let event: { id: string; status?: string; Action?: string; Actor?: { Attributes?: Record<string, string> } };
        try {
          event = JSON.parse(line);
        } catch {
          // A line Docker garbled (or a proxy cut) is skipped: thrown here, it would end platd.
          continue;
        }
        if (typeof event?.id !== 'string') continue;
        const action = event.Action ?? event.status;
        if (action !== 'oom') {
          // Died or started: its init process is gone or new, so its pid and files are read again.
          targets.delete(event.id);
          relist = true;
          continue;
        }
        const source = statsSource(event.id, event.Actor?.Attributes ?? {});
        if (source) handlers.onOom(source);
      }
    });
    let closed = false;
    const reopen = () => {
      if (closed) return;
      closed = true;
      stream.destroy();
      if (events === stream) {
        events = undefined;
        for (const target of targets.values()) target.files = undefined;
      }
      if (!stopped) scheduleEvents();
    };
    stream.on('end', reopen);
    stream.on('close', reopen);
    stream.on('error', reopen);
  };

  const scheduleEvents = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      openEvents().catch(() => scheduleEvents());
    }, REOPEN_MS);
    retry.unref();
  };

  const stop = () => {
    stopped = true;
    clearTimeout(retry);
    clearTimeout(nextRound);
    abort.abort();
    events?.destroy();
    previous.clear();
    targets.clear();
    files?.close?.();
  };
  const started = Date.now();
  try {
    await openEvents();
    // The first round is awaited: Docker unreachable at start-up is the caller's to retry.
    await round();
  } catch (error) {
    stop();
    throw error;
  }
  scheduleRound(started);
  return stop;
}
