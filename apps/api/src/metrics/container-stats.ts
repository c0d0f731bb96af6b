/**
 * What the runtime reports for one container every few seconds (Docker's
 * stats API, reduced to what Plat keeps), and the pure arithmetic on it.
 */

/** Which container a sample is of: a formation dyno or an add-on, by its labels. */
export interface StatsSource {
  containerId: string;
  kind: 'dyno' | 'addon';
  appId: string;
  app: string;
  /** The process type (`web`), or the add-on's name. */
  type: string;
  /** The dyno (`web.1`), or the add-on's name. */
  name: string;
  /** The dyno's release id (empty for an add-on): finds its restarts. */
  releaseId: string;
}

export interface ContainerStats extends StatsSource {
  at: Date;
  /** Cumulative CPU time of the container and of the host (ns), now and at the previous read. */
  cpu: { total: number; system: number; onlineCpus: number };
  precpu: { total: number; system: number };
  /** cgroup usage, the part of it that is reclaimable file cache, and the container's limit (bytes). */
  memory: { usage: number; inactiveFile: number; limit: number };
  /** Bytes received and sent since the container started, summed over its interfaces. */
  network: { rx: number; tx: number };
}

/** A container that the kernel killed for its memory (Docker's `oom` event). */
export type OomKill = StatsSource;

/**
 * CPU use as `docker stats` shows it: the container's share of the host's
 * CPU time between two reads, times the CPUs online (100% = one whole CPU).
 */
export function cpuPercent(stats: Pick<ContainerStats, 'cpu' | 'precpu'>): number {
  const container = stats.cpu.total - stats.precpu.total;
  const system = stats.cpu.system - stats.precpu.system;
  if (container <= 0 || system <= 0 || stats.precpu.system === 0) return 0;
  return (container / system) * Math.max(1, stats.cpu.onlineCpus) * 100;
}

/** Memory in use as `docker stats` counts it: the cgroup's usage less reclaimable file cache. */
export function memoryUsed(memory: ContainerStats['memory']): number {
  return Math.max(0, memory.usage - memory.inactiveFile);
}

/**
 * With swap off (MemorySwap = Memory) the kernel holds a dyno at its limit
 * by reclaiming cache, so "over quota" (Heroku's R14) is counted from here.
 */
export const R14_RATIO = 0.95;

export function overQuota(used: number, limit: number): boolean {
  return limit > 0 && used >= limit * R14_RATIO;
}

/** Docker's stats JSON, the fields read (cgroup v1 and v2 name the cache differently). */
interface DockerStatsJson {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

/** One JSON document of the stats stream, as a sample of `source`. */
export function parseDockerStats(source: StatsSource, json: unknown): ContainerStats {
  const raw = json as DockerStatsJson;
  const cpu = raw.cpu_stats ?? {};
  const precpu = raw.precpu_stats ?? {};
  const memory = raw.memory_stats ?? {};
  const cache = memory.stats ?? {};
  const networks = Object.values(raw.networks ?? {});
  const at = raw.read ? new Date(raw.read) : new Date();
  return {
    ...source,
    at: Number.isNaN(at.getTime()) || at.getTime() <= 0 ? new Date() : at,
    cpu: {
      total: cpu.cpu_usage?.total_usage ?? 0,
      system: cpu.system_cpu_usage ?? 0,
      onlineCpus: cpu.online_cpus ?? 1,
    },
    precpu: { total: precpu.cpu_usage?.total_usage ?? 0, system: precpu.system_cpu_usage ?? 0 },
    memory: {
      usage: memory.usage ?? 0,
      inactiveFile: cache.inactive_file ?? cache.total_inactive_file ?? 0,
      limit: memory.limit ?? 0,
    },
    network: {
      rx: networks.reduce((sum, net) => sum + (net.rx_bytes ?? 0), 0),
      tx: networks.reduce((sum, net) => sum + (net.tx_bytes ?? 0), 0),
    },
  };
}
