import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { totalmem } from 'node:os';
import {
  type CgroupFiles,
  cgroupDirsOf,
  cgroupFiles,
  hostCpu,
  memoryLimit,
  networkBytes,
  numberFile,
  statValue,
} from '../../metrics/cgroup-stats.js';
import type { ContainerStats, StatsSource } from '../../metrics/container-stats.js';

/**
 * Reads a kernel file by its path under the host's root (`proc/stat`); throws
 * when there is none. `sweep` (once a round) closes the files it keeps open
 * that no reading asked for since the last sweep; `close` closes them all.
 */
export type HostFiles = ((path: string) => string) & { sweep?: () => void; close?: () => void };

/** Where cgroup files live: the files kept open from round to round. */
const CGROUP_PREFIX = 'sys/fs/cgroup/';
/** Larger than any cgroup file read here (memory.stat: ~1-3 KiB); a file that fills it is read whole. */
const KEPT_READ_BYTES = 16 * 1024;
const keptBuffer = Buffer.allocUnsafe(KEPT_READ_BYTES);

/** At most this many cgroup files kept open (4 a container: 1 000 containers), whatever the host's fd limit. */
const MAX_KEPT_FILES = 4_000;

/**
 * The host's files under `root`. Kernel files, made on read from memory: a
 * synchronous read never waits on a disk, and costs a tenth of an
 * asynchronous one's bookkeeping (~0.6 ms of platd's CPU per container with those).
 * Cgroup files stay open between rounds and are read again from offset 0
 * (the kernel makes them anew on each read): a read then costs a third of an
 * open, fstat, read and close (~8 of ~22 µs each, 4 files per container every
 * 10 s). A cgroup removed (the container gone, or restarted under the same
 * path) fails a kept file's read with ENODEV: it is opened again once. /proc
 * files are not kept: an open net/dev would keep a dead container's network
 * namespace alive.
 */
export function hostFiles(root = '/'): HostFiles {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const kept = new Map<string, { fd: number; read: boolean }>();
  const drop = (path: string) => {
    const file = kept.get(path);
    if (!file) return;
    kept.delete(path);
    try {
      closeSync(file.fd);
    } catch {
      // Closed is closed.
    }
  };
  const readKept = (path: string): string => {
    let file = kept.get(path);
    if (!file) {
      // Past the bound, read without keeping: descriptors are platd's to share with sockets and children.
      if (kept.size >= MAX_KEPT_FILES) return readFileSync(prefix + path, 'utf8');
      file = { fd: openSync(prefix + path, 'r'), read: true };
      kept.set(path, file);
    }
    file.read = true;
    const length = readSync(file.fd, keptBuffer, 0, KEPT_READ_BYTES, 0);
    return length < KEPT_READ_BYTES ? keptBuffer.toString('latin1', 0, length) : readFileSync(prefix + path, 'utf8');
  };
  const files: HostFiles = (path) => {
    if (!path.startsWith(CGROUP_PREFIX)) return readFileSync(prefix + path, 'utf8');
    try {
      return readKept(path);
    } catch (error) {
      if (!kept.has(path)) throw error;
      // A file of a cgroup since removed (or made again): once more on a fresh open.
      drop(path);
      try {
        return readKept(path);
      } catch (again) {
        drop(path);
        throw again;
      }
    }
  };
  files.sweep = () => {
    for (const [path, file] of kept) {
      if (file.read) file.read = false;
      else drop(path);
    }
  };
  files.close = () => {
    for (const path of [...kept.keys()]) drop(path);
  };
  return files;
}

/** What every container's reading of a round shares: the host's CPU time (/proc/stat) and memory. */
export interface HostRound {
  cpu: { system: number; onlineCpus: number };
  memory: number;
}

/**
 * Reads the host's side of a round once, before its containers: /proc/stat
 * is the largest file a reading takes (a line per CPU, and the interrupt
 * counts), and the same for them all. Undefined where it cannot be read.
 */
export function readHostRound(files: HostFiles): HostRound | undefined {
  try {
    return { cpu: hostCpu(files('proc/stat')), memory: totalmem() };
  } catch {
    return undefined;
  }
}

/**
 * A container's init process and, once its /proc/PID/cgroup has shown them
 * to be the container's, the files of its cgroup. The caller keeps it from
 * round to round and drops `files` (or all of it) whenever the pid may no
 * longer be the container's: then the next reading checks it again.
 */
export interface HostTarget {
  pid: number;
  files?: CgroupFiles;
}

/**
 * Reads a container's stats from this host's kernel files, by its init
 * process: its cgroup's memory and CPU counters, the host's CPU time (from
 * `round`) and its network namespace's byte counts. Undefined when the
 * process is gone or is not the container's (Docker on another host, a pid
 * reused): the caller asks Docker's API instead. Remembers the cgroup's
 * files in `target`, so that later readings skip /proc/PID/cgroup.
 */
export function readHostStats(
  target: HostTarget,
  source: StatsSource,
  round: HostRound,
  files: HostFiles,
): ContainerStats | undefined {
  const pid = target.pid;
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    let cgroup = target.files;
    if (!cgroup) {
      const dirs = cgroupDirsOf(files(`proc/${pid}/cgroup`), source.containerId);
      if (!dirs) return undefined;
      cgroup = cgroupFiles(dirs);
    }
    const usage = numberFile(files(cgroup.memoryUsage));
    const limit = numberFile(files(cgroup.memoryLimit));
    const memoryStat = files(cgroup.memoryStat);
    const cpuText = files(cgroup.cpu);
    const cpuTotal = cgroup.cpuInStat ? statValue(cpuText, 'usage_usec') * 1000 : numberFile(cpuText);
    const netDev = files(`proc/${pid}/net/dev`);
    if (usage === undefined || cpuTotal === undefined) return undefined;
    target.files = cgroup;
    return {
      ...source,
      at: new Date(),
      cpu: { total: cpuTotal, system: round.cpu.system, onlineCpus: round.cpu.onlineCpus },
      precpu: { total: 0, system: 0 },
      memory: {
        usage,
        // The key parseDockerStats reads first; v1 and v2 both have it.
        inactiveFile: statValue(memoryStat, 'inactive_file'),
        limit: memoryLimit(limit, round.memory),
      },
      network: networkBytes(netDev),
    };
  } catch {
    return undefined;
  }
}
