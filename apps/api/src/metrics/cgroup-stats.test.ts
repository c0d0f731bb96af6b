import { describe, expect, it } from 'vitest';
import { cgroupDirsOf, hostCpu, memoryLimit, networkBytes, numberFile, statValue } from './cgroup-stats.js';

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

describe('cgroup and proc files', () => {
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
  });
});
