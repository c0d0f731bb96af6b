import { describe, expect, it } from 'vitest';
import {
  cgroupDirsOf,
  cgroupFiles,
  hostCpu,
  memoryLimit,
  networkBytes,
  numberFile,
  statValue,
} from './cgroup-stats.js';

const ID = '214dcbafcbb49b62844bc2b4bec2c0b6bbeb4d7bef3becc2f77f9d9c13684b7d';

describe("a container's cgroup folders", () => {
  it('reads cgroup v1 (cgroupfs driver) from the memory and cpuacct lines', () => {
    const text = `9:name=systemd:/docker/${ID}\n4:memory:/docker/${ID}\n2:cpuacct:/docker/${ID}\n0::/docker/${ID}\n`;
    expect(cgroupDirsOf(text, ID)).toEqual({
      kind: 'v1',
      memory: `memory/docker/${ID}`,
      cpuacct: `cpuacct/docker/${ID}`,
    });
  });

  it('reads cpu and cpuacct mounted together (systemd driver)', () => {
    const scope = `/system.slice/docker-${ID}.scope`;
    const text = `5:memory:${scope}\n3:cpu,cpuacct:${scope}\n`;
    expect(cgroupDirsOf(text, ID)).toEqual({ kind: 'v1', memory: `memory${scope}`, cpuacct: `cpuacct${scope}` });
  });

  it('reads cgroup v2 from its single line', () => {
    expect(cgroupDirsOf(`0::/system.slice/docker-${ID}.scope\n`, ID)).toEqual({
      kind: 'v2',
      dir: `system.slice/docker-${ID}.scope`,
    });
  });

  it("refuses a process that is not the container's (a pid reused) and paths that climb", () => {
    expect(cgroupDirsOf('4:memory:/user.slice\n2:cpuacct:/user.slice\n0::/user.slice\n', ID)).toBeUndefined();
    expect(cgroupDirsOf(`0::/docker/${ID}/../../etc\n`, ID)).toBeUndefined();
    expect(cgroupDirsOf('', ID)).toBeUndefined();
  });
});

describe("a container's cgroup files", () => {
  it('names the v1 files in the memory and cpuacct folders, v2 in its one folder', () => {
    expect(cgroupFiles({ kind: 'v1', memory: `memory/docker/${ID}`, cpuacct: `cpuacct/docker/${ID}` })).toEqual({
      memoryUsage: `sys/fs/cgroup/memory/docker/${ID}/memory.usage_in_bytes`,
      memoryLimit: `sys/fs/cgroup/memory/docker/${ID}/memory.limit_in_bytes`,
      memoryStat: `sys/fs/cgroup/memory/docker/${ID}/memory.stat`,
      cpu: `sys/fs/cgroup/cpuacct/docker/${ID}/cpuacct.usage`,
      cpuInStat: false,
    });
    expect(cgroupFiles({ kind: 'v2', dir: `docker/${ID}` })).toEqual({
      memoryUsage: `sys/fs/cgroup/docker/${ID}/memory.current`,
      memoryLimit: `sys/fs/cgroup/docker/${ID}/memory.max`,
      memoryStat: `sys/fs/cgroup/docker/${ID}/memory.stat`,
      cpu: `sys/fs/cgroup/docker/${ID}/cpu.stat`,
      cpuInStat: true,
    });
  });
});

describe('cgroup and proc files', () => {
  it('reads the same key from one text after another (a pattern kept across calls holds no state)', () => {
    const texts = ['usage_usec 10\nuser_usec 4\n', 'user_usec 1\nusage_usec 20\n', 'user_usec 1\n', 'usage_usec 30'];
    expect(texts.map((text) => statValue(text, 'usage_usec'))).toEqual([10, 20, 0, 30]);
    expect(texts.map((text) => statValue(text, 'usage_usec'))).toEqual([10, 20, 0, 30]);
    // A key is a whole line's first word: usage_usec does not match a longer key that ends with it.
    expect(statValue('total_usage_usec 5\n', 'usage_usec')).toBe(0);
  });

  it('reads stat lines and number files', () => {
    const stat = 'cache 100\ninactive_file 8192\ntotal_inactive_file 9000\n';
    expect(statValue(stat, 'inactive_file')).toBe(8192);
    expect(statValue(stat, 'total_inactive_file')).toBe(9000);
    expect(statValue(stat, 'missing')).toBe(0);
    expect(numberFile('3149824\n')).toBe(3149824);
    expect(numberFile('max\n')).toBeUndefined();
  });

  it("takes no limit as the host's memory, as Docker reports it", () => {
    expect(memoryLimit(1073741824, 8e9)).toBe(1073741824);
    // v1's memory.limit_in_bytes with no limit: 9223372036854771712, read as a number.
    expect(memoryLimit(Number('9223372036854771712'), 8e9)).toBe(8e9);
    expect(memoryLimit(undefined, 8e9)).toBe(8e9);
  });

  it("sums the host's CPU ticks into ns and counts the CPUs online", () => {
    const stat =
      'cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\nintr 1\n';
    expect(hostCpu(stat)).toEqual({ system: 1000 * 10_000_000, onlineCpus: 2 });
  });

  it('sums network bytes over every interface but loopback', () => {
    const netDev = `Inter-|   Receive                                                |  Transmit
 face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed
 lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0
 eth0: 1306 17 0 0 0 0 0 0 994 9 0 0 0 0 0 0
 eth1: 10 1 0 0 0 0 0 0 6 1 0 0 0 0 0 0
`;
    expect(networkBytes(netDev)).toEqual({ rx: 1316, tx: 1000 });
    // Twice over the same text: the pattern kept across calls starts each at the top.
    expect(networkBytes(netDev)).toEqual({ rx: 1316, tx: 1000 });
  });

  it("reads the kernel's columns when a count fills them (no space after the colon)", () => {
    const netDev = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier',
      '    lo:12345678901   14436    0    0    0     0          0         0 12345678901   14436    0    0    0     0',
      '  eth0:123456789012 1000000    0    0    0     0          0         0 98765432109  900000    0    0    0    0',
      'veth1a2b3c4d:       7       1    0    0    0     0          0         0        9       1    0    0    0     0',
    ].join('\n');
    expect(networkBytes(netDev)).toEqual({ rx: 123456789019, tx: 98765432118 });
    expect(networkBytes('')).toEqual({ rx: 0, tx: 0 });
  });
});
