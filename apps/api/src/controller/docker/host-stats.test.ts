import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { totalmem } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatsSource } from '../../metrics/container-stats.js';
import { type HostFiles, type HostTarget, hostFiles, readHostRound, readHostStats } from './host-stats.js';

const ID = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const SOURCE: StatsSource = {
  containerId: ID,
  kind: 'dyno',
  appId: 'a1',
  app: 'hello',
  type: 'web',
  name: 'web.1',
  releaseId: 'r1',
};
const NET_DEV = `Inter-|   Receive |  Transmit
 face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed
    lo: 7 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0
  eth0: 1306 17 0 0 0 0 0 0 994 9 0 0 0 0 0 0
`;

let root = '';
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

/** Reads the temporary root as the host's files, once a round then once for the container. */
const readOnce = (pid: number, source = SOURCE) => {
  const files = hostFiles(root);
  const round = readHostRound(files);
  return round && readHostStats({ pid }, source, round, files);
};

/** Files from a map, counting the reads of each path; a path not in it is absent. */
function memoryFiles(tree: Record<string, string>): HostFiles & { reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const files = (path: string) => {
    reads.set(path, (reads.get(path) ?? 0) + 1);
    const text = tree[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
  return Object.assign(files, { reads });
}

describe("a container's stats from the kernel's files", () => {
  it('reads cgroup v1 as Docker reports it', async () => {
    root = mkdtempSync(join(tmpdir(), 'plat-host-stats-'));
    write('proc/42/cgroup', `4:memory:/docker/${ID}\n2:cpuacct:/docker/${ID}\n`);
    write(`sys/fs/cgroup/memory/docker/${ID}/memory.usage_in_bytes`, '3149824\n');
    write(`sys/fs/cgroup/memory/docker/${ID}/memory.limit_in_bytes`, '1073741824\n');
    write(`sys/fs/cgroup/memory/docker/${ID}/memory.stat`, 'cache 8192\ninactive_file 8192\n');
    write(`sys/fs/cgroup/cpuacct/docker/${ID}/cpuacct.usage`, '40403314\n');
    write('proc/stat', 'cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 10 0 10 80 0 0 0 0 0 0\n');
    write('proc/42/net/dev', NET_DEV);
    const stats = readOnce(42);
    expect(stats).toMatchObject({
      ...SOURCE,
      cpu: { total: 40403314, system: 100 * 10_000_000, onlineCpus: 1 },
      memory: { usage: 3149824, inactiveFile: 8192, limit: 1073741824 },
      network: { rx: 1306, tx: 994 },
    });
  });

  it('reads cgroup v2', async () => {
    root = mkdtempSync(join(tmpdir(), 'plat-host-stats-'));
    const scope = `sys/fs/cgroup/system.slice/docker-${ID}.scope`;
    write('proc/42/cgroup', `0::/system.slice/docker-${ID}.scope\n`);
    write(`${scope}/memory.current`, '5000\n');
    write(`${scope}/memory.max`, '268435456\n');
    write(`${scope}/memory.stat`, 'anon 4000\ninactive_file 1000\n');
    write(`${scope}/cpu.stat`, 'usage_usec 1500\nuser_usec 1000\n');
    write('proc/stat', 'cpu  1 1 1 1 0 0 0 0 0 0\ncpu0 1 1 1 1 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\n');
    write('proc/42/net/dev', NET_DEV);
    expect(readOnce(42)).toMatchObject({
      cpu: { total: 1_500_000, system: 4 * 10_000_000, onlineCpus: 2 },
      memory: { usage: 5000, inactiveFile: 1000, limit: 268435456 },
    });
  });

  it("reads nothing for a process that is gone or is not the container's", async () => {
    root = mkdtempSync(join(tmpdir(), 'plat-host-stats-'));
    write('proc/43/cgroup', '4:memory:/user.slice\n2:cpuacct:/user.slice\n');
    write('proc/stat', 'cpu  1 1 1 1 0 0 0 0 0 0\ncpu0 1 1 1 1 0 0 0 0 0 0\n');
    expect(readOnce(43)).toBeUndefined();
    expect(readOnce(44)).toBeUndefined();
    expect(readOnce(0)).toBeUndefined();
  });

  it('reads no round where the host has no /proc/stat (Docker on another host)', () => {
    root = mkdtempSync(join(tmpdir(), 'plat-host-stats-'));
    expect(readHostRound(hostFiles(root))).toBeUndefined();
  });
});

describe('readings round after round', () => {
  const scope = `sys/fs/cgroup/system.slice/docker-${ID}.scope`;
  const tree = (): Record<string, string> => ({
    'proc/stat': 'cpu  1 1 1 1 0 0 0 0 0 0\ncpu0 1 1 1 1 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\n',
    'proc/42/cgroup': `0::/system.slice/docker-${ID}.scope\n`,
    'proc/42/net/dev': NET_DEV,
    [`${scope}/memory.current`]: '5000\n',
    [`${scope}/memory.max`]: 'max\n',
    [`${scope}/memory.stat`]: 'anon 4000\ninactive_file 1000\n',
    [`${scope}/cpu.stat`]: 'usage_usec 1500\nuser_usec 1000\n',
  });

  it("reads /proc/stat once a round, whatever the containers, with the host's memory", () => {
    const files = memoryFiles(tree());
    const round = readHostRound(files)!;
    expect(round).toEqual({ cpu: { system: 4 * 10_000_000, onlineCpus: 2 }, memory: totalmem() });
    for (const _ of [1, 2, 3]) expect(readHostStats({ pid: 42 }, SOURCE, round, files)).toBeDefined();
    expect(files.reads.get('proc/stat')).toBe(1);
  });

  it("reads a pid's /proc/PID/cgroup once, keeping its files in the target, and the rest every time", () => {
    const files = memoryFiles(tree());
    const round = readHostRound(files)!;
    const target: HostTarget = { pid: 42 };
    const first = readHostStats(target, SOURCE, round, files);
    expect(target.files).toEqual({
      memoryUsage: `${scope}/memory.current`,
      memoryLimit: `${scope}/memory.max`,
      memoryStat: `${scope}/memory.stat`,
      cpu: `${scope}/cpu.stat`,
      cpuInStat: true,
    });
    const second = readHostStats(target, SOURCE, round, files);
    expect(second).toEqual({ ...first, at: second!.at });
    expect(second).toMatchObject({ cpu: { total: 1_500_000 }, memory: { limit: totalmem() } });
    expect(files.reads.get('proc/42/cgroup')).toBe(1);
    for (const path of ['proc/42/net/dev', `${scope}/memory.current`, `${scope}/memory.max`, `${scope}/cpu.stat`]) {
      expect(files.reads.get(path)).toBe(2);
    }
  });

  it('reads /proc/PID/cgroup again for a target whose files were dropped, and refuses a pid reused', () => {
    const host = tree();
    const files = memoryFiles(host);
    const round = readHostRound(files)!;
    const target: HostTarget = { pid: 42 };
    readHostStats(target, SOURCE, round, files);
    target.files = undefined;
    // Pid 42 is now another process's: its cgroup does not name the container.
    host['proc/42/cgroup'] = '0::/user.slice/session-1.scope\n';
    expect(readHostStats(target, SOURCE, round, files)).toBeUndefined();
    expect(files.reads.get('proc/42/cgroup')).toBe(2);
    expect(target.files).toBeUndefined();
  });

  it('reads nothing once the process or its cgroup is gone, files kept or not', () => {
    const host = tree();
    const files = memoryFiles(host);
    const round = readHostRound(files)!;
    const target: HostTarget = { pid: 42 };
    readHostStats(target, SOURCE, round, files);
    delete host['proc/42/net/dev'];
    expect(readHostStats(target, SOURCE, round, files)).toBeUndefined();
    host['proc/42/net/dev'] = NET_DEV;
    delete host[`${scope}/memory.current`];
    expect(readHostStats(target, SOURCE, round, files)).toBeUndefined();
  });
});

describe('cgroup files kept open from round to round', () => {
  const open = () => readdirSync('/proc/self/fd').length;
  const cgroup = `sys/fs/cgroup/docker/${ID}`;

  it('reads a kept file as it is now, keeping no /proc file open', () => {
    root = mkdtempSync(join(tmpdir(), 'plat-host-stats-'));
    write(`${cgroup}/memory.current`, '5000\n');
    write('proc/42/net/dev', NET_DEV);
    const files = hostFiles(root);
    const before = open();
    expect(files(`${cgroup}/memory.current`)).toBe('5000\n');
    expect(files('proc/42/net/dev')).toBe(NET_DEV);
    expect(open()).toBe(before + 1);
    // Written in place, as the kernel makes the file anew on each read.
    writeFileSync(join(root, `${cgroup}/memory.current`), '7000\n');
    expect(files(`${cgroup}/memory.current`)).toBe('7000\n');
    expect(open()).toBe(before + 1);
    files.close!();
    expect(open()).toBe(before);
  });

  it('closes the files no read asked for since the last sweep', () => {
    root = mkdtempSync(join(tmpdir(), 'plat-host-stats-'));
    write(`${cgroup}/memory.current`, '5000\n');
    write(`${cgroup}/cpu.stat`, 'usage_usec 1500\n');
    const files = hostFiles(root);
    const before = open();
    files(`${cgroup}/memory.current`);
    files(`${cgroup}/cpu.stat`);
    files.sweep!();
    expect(open()).toBe(before + 2);
    files(`${cgroup}/memory.current`);
    files.sweep!();
    expect(open()).toBe(before + 1);
    files.sweep!();
    expect(open()).toBe(before);
  });

  it('throws for a file that is not there, keeping nothing open', () => {
    root = mkdtempSync(join(tmpdir(), 'plat-host-stats-'));
    const files = hostFiles(root);
    const before = open();
    expect(() => files(`${cgroup}/memory.current`)).toThrow(/ENOENT/);
    expect(open()).toBe(before);
  });

  it('reads a file larger than its buffer whole', () => {
    root = mkdtempSync(join(tmpdir(), 'plat-host-stats-'));
    const big = `${'total_cache 1\n'.repeat(2000)}inactive_file 8192\n`;
    write(`${cgroup}/memory.stat`, big);
    const files = hostFiles(root);
    expect(files(`${cgroup}/memory.stat`)).toBe(big);
    files.close!();
  });
});
