import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatsSource } from '../../metrics/container-stats.js';
import { readHostStats } from './host-stats.js';

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

let root: string;
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

afterEach(() => rmSync(root, { recursive: true, force: true }));

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
    const stats = await readHostStats(42, SOURCE, { root });
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
    expect(await readHostStats(42, SOURCE, { root })).toMatchObject({
      cpu: { total: 1_500_000, system: 4 * 10_000_000, onlineCpus: 2 },
      memory: { usage: 5000, inactiveFile: 1000, limit: 268435456 },
    });
  });

  it("reads nothing for a process that is gone or is not the container's", async () => {
    root = mkdtempSync(join(tmpdir(), 'plat-host-stats-'));
    write('proc/43/cgroup', '4:memory:/user.slice\n2:cpuacct:/user.slice\n');
    expect(await readHostStats(43, SOURCE, { root })).toBeUndefined();
    expect(await readHostStats(44, SOURCE, { root })).toBeUndefined();
    expect(await readHostStats(0, SOURCE, { root })).toBeUndefined();
  });
});
