/**
 * A tenant's code, in a dyno or in a build, tries to reach the host: platd's
 * API, the router, another service listening on 0.0.0.0, and the cloud
 * metadata address; a build tries another build on the build network. None
 * of them answers, while the app keeps serving through the router and
 * containers on the app's network still reach each other.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { buildNetworkName } from '@plat/core';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from '../support/app-repo.js';
import { instanceContainers } from '../support/docker-cleanup.js';
import { dynoNetwork } from '../support/dyno-network.js';
import { get } from '../support/http.js';
import { startPlatd, type Platd } from '../support/platd.js';
import { run } from '../support/run.js';
import { until } from '../support/until.js';

const METADATA = '169.254.169.254:80';
const ICC = 'com.docker.network.bridge.enable_icc';

/** Connects to each host:port at once, 3 s each; prints {target: open | refused | timeout | error N}. */
const PROBE = `
import json, socket, sys, threading
out = {}
def probe(target):
    host, port = target.rsplit(':', 1)
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((host, int(port)))
        out[target] = 'open'
    except socket.timeout:
        out[target] = 'timeout'
    except OSError as e:
        out[target] = 'refused' if e.errno == 111 else 'error %d' % e.errno
    finally:
        s.close()
threads = [threading.Thread(target=probe, args=(t,)) for t in sys.argv[1:]]
for t in threads: t.start()
for t in threads: t.join()
print('PROBE ' + json.dumps(out))
`;

let platd: Platd;
let repo: string;
/** A service of the host's own on every address: nothing of Plat, nothing a tenant may reach. */
let hostService: Server;
let hostServicePort: number;
let hostServiceConnections = 0;
const docker = new Docker();

function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => address.family === 'IPv4' && !address.internal)
    .map((address) => address.address);
}

/** Every host address with each port the host listens on for everyone: platd's API, the router, the host service. */
function hostTargets(extraAddresses: string[]): string[] {
  const addresses = [...new Set([...extraAddresses, ...hostAddresses()])];
  return addresses.flatMap((address) =>
    [platd.apiPort, platd.routerPort, hostServicePort].map((port) => `${address}:${port}`),
  );
}

function probeResult(output: string): Record<string, string> {
  const line = /PROBE (\{.*\})/.exec(output)?.[1];
  if (!line) throw new Error(`the probe printed no result:\n${output}`);
  return JSON.parse(line) as Record<string, string>;
}

/** Whether the host itself connects to host:port (within a second). */
function hostConnects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.on('connect', () => done(true));
    socket.on('timeout', () => done(false));
    socket.on('error', () => done(false));
  });
}

/** Another tenant's build step serving on the build network, as any build could; the host reaches it. */
async function startNeighbour(): Promise<{ ip: string; target: string; remove: () => Promise<void> }> {
  const network = buildNetworkName(platd.instance);
  const neighbour = await docker.createContainer({
    Image: 'plat/stack:latest',
    Cmd: ['python3', '-m', 'http.server', '8000'],
    HostConfig: { NetworkMode: network },
    Labels: { 'plat.instance': platd.instance },
  });
  const remove = () => neighbour.remove({ force: true });
  try {
    await neighbour.start();
    const ip = (await neighbour.inspect()).NetworkSettings.Networks[network]?.IPAddress;
    if (!ip) throw new Error(`the neighbour has no address on ${network}`);
    // It listens: a timeout from a build is the firewall's doing.
    await until('the neighbour to listen', () => hostConnects(ip, 8000), 15_000);
    return { ip, target: `${ip}:8000`, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** A Dockerfile whose build probes the target. */
function probeDockerfile(target: string): string {
  const steps = ['FROM plat/stack:latest', 'COPY probe.py /srv/probe.py', 'EXPOSE 8000'];
  return [...steps, `RUN python3 /srv/probe.py ${target}`, 'CMD exec python3 -m http.server $PORT', ''].join('\n');
}

async function webDyno(): Promise<{ ip: string; gateway: string }> {
  const info = (await instanceContainers(platd.instance)).find(
    (c) => c.Labels['plat.dyno'] === 'web.1' && c.State === 'running',
  );
  if (!info) throw new Error('no running web.1');
  const network = Object.values((await dynoNetwork(info.Id)).networks)[0]!;
  return { ip: network.IPAddress, gateway: network.Gateway };
}

/** Packets the instance's metadata rule has dropped so far. */
async function metadataDrops(): Promise<number> {
  const listing = await run('iptables', ['-w', '-S', 'DOCKER-USER', '-v']);
  return listing.stdout
    .split('\n')
    .filter((line) => line.includes('169.254.0.0/16') && line.includes(`"plat:${platd.instance}"`))
    .reduce((sum, line) => sum + Number(/ -c (\d+) /.exec(line)?.[1] ?? 0), 0);
}

beforeAll(async () => {
  hostService = createServer((socket) => {
    hostServiceConnections += 1;
    // A probe that hangs up hard (a reset) is no failure of this listener.
    socket.on('error', () => {});
    socket.end('host secrets\n');
  });
  await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
  hostServicePort = (hostService.address() as { port: number }).port;
  // On every address, as a server's platd and router are: the firewall, not the bind address, must keep dynos out.
  platd = await startPlatd({ env: { PLAT_API_HOST: '0.0.0.0', PLAT_ROUTER_HOST: '0.0.0.0' } });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  expect((await platd.plat(['apps:create', 'walled'], { cwd: repo })).code).toBe(0);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
});
afterAll(async () => {
  await platd?.destroy();
  hostService?.close();
});

describe('a dyno', () => {
  it('gets no answer from host ports or the metadata address, yet reaches its network and keeps serving', async () => {
    const web = await webDyno();
    const blocked = [...hostTargets([web.gateway]), METADATA];
    const neighbour = `${web.ip}:5000`;
    const dropsBefore = await metadataDrops();

    const result = await platd.plat(['run', 'python3', '-c', PROBE, ...blocked, neighbour], { cwd: repo });
    expect(result.code, result.output).toBe(0);
    const outcome = probeResult(result.stdout);

    for (const target of blocked) expect(outcome[target], `${target} from a dyno`).toBe('timeout');
    // The same probe does get through where it may: the web dyno, over the app's network.
    expect(outcome[neighbour], 'the web dyno from a one-off dyno').toBe('open');
    expect(await metadataDrops(), "the instance's metadata rule dropped the attempt").toBeGreaterThan(dropsBefore);
    expect(hostServiceConnections, 'connections that reached the host service').toBe(0);

    // The other direction is the router's, and it keeps working.
    const page = await get(platd.routerPort, 'walled.localhost');
    expect(page.status).toBe(200);
    expect(page.body).toContain('(dyno web.1)');
  });

  it('is what blocks it: a container outside Plat reaches the same host service', async () => {
    // Proves the probe and the listener work, so the timeouts above are the firewall's doing.
    const container = await docker.createContainer({
      Image: 'plat/stack:latest',
      Cmd: ['python3', '-c', PROBE, `${hostAddresses()[0]}:${hostServicePort}`],
      HostConfig: { NetworkMode: 'bridge' },
      Labels: { 'plat.instance': platd.instance },
    });
    try {
      await container.start();
      await container.wait();
      const logs = ((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer).toString('utf8');
      expect(Object.values(probeResult(logs))).toEqual(['open']);
      expect(hostServiceConnections).toBe(1);
      hostServiceConnections = 0;
    } finally {
      await container.remove({ force: true });
    }
  });
});

describe('a build', () => {
  it("gets no answer from the host's ports or the metadata address either", async () => {
    const build = (await docker.listNetworks({ filters: { name: [buildNetworkName(platd.instance)] } }))[0];
    const gateway = build?.IPAM?.Config?.[0]?.Gateway;
    expect(gateway, 'the build network exists after the first deploy').toBeTruthy();
    const blocked = [...hostTargets([gateway!]), METADATA];
    const dir = join(platd.dataDir, '..', 'probe-build');
    mkdirSync(dir);
    writeFileSync(join(dir, 'probe.py'), PROBE);
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        'FROM plat/stack:latest',
        'COPY probe.py /srv/probe.py',
        // A port exposed before a step that runs: Docker refuses one for a container sharing a namespace.
        'EXPOSE 8000',
        `RUN python3 /srv/probe.py ${blocked.join(' ')}`,
        'CMD exec python3 -m http.server $PORT',
        '',
      ].join('\n'),
    );
    for (const args of [
      ['init', '-q', '-b', 'main'],
      ['add', '-A'],
      ['commit', '-q', '-m', 'probe the host while building'],
    ]) {
      expect((await platd.git(args, dir)).code).toBe(0);
    }
    expect((await platd.plat(['apps:create', 'walled-build'], { cwd: dir })).code).toBe(0);

    const push = await platd.git(['push', 'platform', 'main'], dir);
    expect(push.code, push.output).toBe(0);
    const outcome = probeResult(push.output);
    for (const target of blocked) expect(outcome[target], `${target} from a build`).toBe('timeout');
    expect(hostServiceConnections, 'connections that reached the host service').toBe(0);
    // The other app was never disturbed.
    expect((await get(platd.routerPort, 'walled.localhost')).status).toBe(200);

    // The app's next build runs its steps in the build sandbox the first readied: walled off just the same.
    const sandbox = await until('the build sandbox of walled-build to run', async () =>
      (await instanceContainers(platd.instance)).find(
        (c) => c.Labels['plat.build-sandbox'] && c.Labels['plat.app'] === 'walled-build' && c.State === 'running',
      ),
    );
    writeFileSync(join(dir, 'probe.py'), `${PROBE}\nprint('BUILT IN ' + socket.gethostname())\n`);
    expect((await platd.git(['commit', '-q', '-am', 'probe again, from the build sandbox'], dir)).code).toBe(0);
    const again = await platd.git(['push', 'platform', 'main'], dir);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(`BUILT IN ${sandbox.Id.slice(0, 12)}`);
    const second = probeResult(again.output);
    for (const target of blocked) expect(second[target], `${target} from a build in its sandbox`).toBe('timeout');
    expect(hostServiceConnections, 'connections that reached the host service').toBe(0);
  });

  it("leaves nothing for the app's next build when a step, as root, rewrites the hosts file steps share", async () => {
    const dir = join(platd.dataDir, '..', 'probe-build');
    const buildSandbox = (except?: string) =>
      until('a build sandbox of walled-build to run', async () =>
        (await instanceContainers(platd.instance)).find(
          (c) =>
            c.Labels['plat.build-sandbox'] &&
            c.Labels['plat.app'] === 'walled-build' &&
            c.State === 'running' &&
            c.Id !== except,
        ),
      );
    const pushDockerfile = async (steps: string[]) => {
      const lines = ['FROM plat/stack:latest', 'USER root', ...steps, 'USER dyno'];
      writeFileSync(join(dir, 'Dockerfile'), [...lines, 'CMD exec python3 -m http.server $PORT', ''].join('\n'));
      expect((await platd.git(['commit', '-q', '-am', steps.join('; ')], dir)).code).toBe(0);
      const pushed = await platd.git(['push', 'platform', 'main'], dir);
      expect(pushed.code, pushed.output).toBe(0);
      return pushed.output;
    };
    const first = await buildSandbox();
    const poisoned = await pushDockerfile([
      'RUN echo "10.9.8.7 pypi.org" >> /etc/hosts && echo "WROTE IN $(hostname)"',
    ]);
    expect(poisoned).toContain(`WROTE IN ${first.Id.slice(0, 12)}`);
    // The app's next build runs in a fresh sandbox, whose hosts file never had the line; the written one is gone.
    const fresh = await buildSandbox(first.Id);
    const read = await pushDockerfile(['RUN cat /etc/hosts && echo "READ IN $(hostname)"']);
    expect(read).toContain(`READ IN ${fresh.Id.slice(0, 12)}`);
    expect(read).not.toContain('10.9.8.7');
    expect(
      await docker
        .getContainer(first.Id)
        .inspect()
        .catch(() => undefined),
    ).toBeUndefined();
  });

  it("gets no answer from another app's build on the build network, which the host itself reaches", async () => {
    const neighbour = await startNeighbour();
    try {
      const dir = join(platd.dataDir, '..', 'probe-next-door');
      mkdirSync(dir);
      writeFileSync(join(dir, 'probe.py'), PROBE);
      writeFileSync(join(dir, 'Dockerfile'), probeDockerfile(neighbour.target));
      for (const args of [
        ['init', '-q', '-b', 'main'],
        ['add', '-A'],
        ['commit', '-q', '-m', 'probe next door'],
      ])
        expect((await platd.git(args, dir)).code).toBe(0);
      expect((await platd.plat(['apps:create', 'walled-next'], { cwd: dir })).code).toBe(0);
      const push = await platd.git(['push', 'platform', 'main'], dir);
      expect(push.code, push.output).toBe(0);
      expect(probeResult(push.output)[neighbour.target], 'another build from a build').toBe('timeout');
      expect(hostServiceConnections, 'connections that reached the host service').toBe(0);
      expect(await hostConnects(neighbour.ip, 8000), 'the neighbour, from the host, after the build').toBe(true);
    } finally {
      await neighbour.remove();
    }
  });

  it('keeps builds apart on a build network an earlier platd made open, and makes it again at a start', async () => {
    const dir = join(platd.dataDir, '..', 'probe-next-door');
    const network = buildNetworkName(platd.instance);
    const icc = async () => (await docker.getNetwork(network).inspect()).Options?.[ICC];
    // As a platd from before builds were kept apart left it: Docker's traffic between its containers on.
    await platd.stop();
    for (const info of await instanceContainers(platd.instance))
      if (info.Labels['plat.build-sandbox']) await docker.getContainer(info.Id).remove({ force: true });
    await docker.getNetwork(network).remove();
    await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: { 'plat.instance': platd.instance } });
    const neighbour = await startNeighbour();
    try {
      // In use by a container not Plat's, it stays at this start, saying so; the firewall keeps builds apart.
      await platd.start();
      expect(platd.output()).toMatch(
        new RegExp(`warning: ${network} lets its containers reach each other.*still uses it`),
      );
      writeFileSync(join(dir, 'Dockerfile'), probeDockerfile(neighbour.target));
      expect((await platd.git(['commit', '-q', '-am', 'probe next door again'], dir)).code).toBe(0);
      const push = await platd.git(['push', 'platform', 'main'], dir);
      expect(push.code, push.output).toBe(0);
      expect(await icc()).toBeUndefined();
      expect(probeResult(push.output)[neighbour.target], 'another build from a build').toBe('timeout');
    } finally {
      await neighbour.remove();
    }
    // Free at the next start: made again, as Plat makes it now, before any push.
    await platd.stop();
    await platd.start();
    expect(await icc(), 'the build network made again').toBe('false');
    writeFileSync(join(dir, 'Dockerfile'), probeDockerfile('127.0.0.1:9'));
    expect((await platd.git(['commit', '-q', '-am', 'and once more'], dir)).code).toBe(0);
    const push = await platd.git(['push', 'platform', 'main'], dir);
    expect(push.code, push.output).toBe(0);
    expect(hostServiceConnections, 'connections that reached the host service').toBe(0);
  });
});
