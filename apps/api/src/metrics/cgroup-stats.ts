/**
 * A container's stats read from the kernel's files rather than Docker's
 * stats API: the same numbers (Docker reads these files), at a fraction of
 * the cost. A one-shot stats request cost platd ~2-3 ms of CPU per
 * container, ~3% of a core for 100 dynos sampled every 10 s; the files cost
 * a few reads. Pure parsing here; controller/docker/host-stats.ts reads them.
 */

/** Where a container's cgroup lives: v1's memory and cpuacct hierarchies, or the v2 one. */
export type CgroupDirs = { kind: 'v1'; memory: string; cpuacct: string } | { kind: 'v2'; dir: string };

/**
 * The container's cgroup folders from its init process's /proc/PID/cgroup,
 * under /sys/fs/cgroup; undefined unless they are the container's own (its
 * id in the path): a pid reused by another process reads as nothing.
 */
export function cgroupDirsOf(procCgroup: string, containerId: string): CgroupDirs | undefined {
  const entries = procCgroup
    .split('\n')
    .map((line) => /^(\d+):([^:]*):(.*)$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ controllers: match[2]!.split(','), path: match[3]! }));
  const own = (path: string | undefined) =>
    path?.includes(containerId) && !path.split('/').includes('..') ? path : undefined;
  const memory = own(entries.find((entry) => entry.controllers.includes('memory'))?.path);
  const cpuacct = own(entries.find((entry) => entry.controllers.includes('cpuacct'))?.path);
  if (memory && cpuacct) return { kind: 'v1', memory: `memory${memory}`, cpuacct: `cpuacct${cpuacct}` };
  const unified = own(entries.find((entry) => entry.controllers.length === 1 && entry.controllers[0] === '')?.path);
  return unified ? { kind: 'v2', dir: unified.replace(/^\//, '') } : undefined;
}

/**
 * The files a reading takes from a container's cgroup folders, under
 * /sys/fs/cgroup: worked out once with the folders, not on every read.
 * `cpuInStat` says the CPU file is v2's cpu.stat (usage_usec) rather than
 * v1's cpuacct.usage (ns).
 */
export interface CgroupFiles {
  memoryUsage: string;
  memoryLimit: string;
  memoryStat: string;
  cpu: string;
  cpuInStat: boolean;
}

export function cgroupFiles(dirs: CgroupDirs): CgroupFiles {
  const file = (dir: string, name: string) => `sys/fs/cgroup/${dir}/${name}`;
  return dirs.kind === 'v1'
    ? {
        memoryUsage: file(dirs.memory, 'memory.usage_in_bytes'),
        memoryLimit: file(dirs.memory, 'memory.limit_in_bytes'),
        memoryStat: file(dirs.memory, 'memory.stat'),
        cpu: file(dirs.cpuacct, 'cpuacct.usage'),
        cpuInStat: false,
      }
    : {
        memoryUsage: file(dirs.dir, 'memory.current'),
        memoryLimit: file(dirs.dir, 'memory.max'),
        memoryStat: file(dirs.dir, 'memory.stat'),
        cpu: file(dirs.dir, 'cpu.stat'),
        cpuInStat: true,
      };
}

/** One pattern per key read (a handful), built on first use: not one per container per round. */
const statPatterns = new Map<string, RegExp>();

/** A `key value` line of memory.stat or cpu.stat; 0 when absent. */
export function statValue(text: string, key: string): number {
  let pattern = statPatterns.get(key);
  if (!pattern) {
    // Without the g or y flag exec keeps no state (lastIndex), so one pattern serves every caller.
    pattern = new RegExp(`^${key} (\\d+)$`, 'm');
    statPatterns.set(key, pattern);
  }
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

/** A single number file (memory.usage_in_bytes, cpuacct.usage); v2's `max` is no limit. */
export function numberFile(text: string): number | undefined {
  const value = text.trim();
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/** No limit reads as a huge number on v1 (a page-rounded 2^63): Docker then reports the host's memory. */
export function memoryLimit(value: number | undefined, hostMemory: number): number {
  return value === undefined || value >= 2 ** 60 ? hostMemory : value;
}

/**
 * /proc/stat's host CPU time in ns (as Docker's system_cpu_usage: every field
 * of `cpu`, at 100 ticks a second) and the CPUs online.
 */
export function hostCpu(procStat: string): { system: number; onlineCpus: number } {
  const fields = /^cpu\s+([\d\s]+)$/m.exec(procStat)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  const ticks = fields.reduce((sum, value) => sum + value, 0);
  const onlineCpus = procStat.split('\n').filter((line) => /^cpu\d+\s/.test(line)).length;
  return { system: ticks * 10_000_000, onlineCpus: Math.max(1, onlineCpus) };
}

/**
 * An interface's line of /proc/PID/net/dev: its name, received bytes (the
 * first field) and sent bytes (the ninth). Global, so matchAll walks the
 * file once without splitting it into lines and fields.
 */
const NET_DEV_LINE = /^[ \t]*([^:\s]+):[ \t]*(\d+)(?:[ \t]+\d+){7}[ \t]+(\d+)/gm;

/** Bytes received and sent over the container's interfaces but loopback (/proc/PID/net/dev), as Docker sums them. */
export function networkBytes(netDev: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  // matchAll matches on a copy of the pattern: the shared one's lastIndex is never moved.
  for (const match of netDev.matchAll(NET_DEV_LINE)) {
    if (match[1] === 'lo') continue;
    rx += Number(match[2]);
    tx += Number(match[3]);
  }
  return { rx, tx };
}
