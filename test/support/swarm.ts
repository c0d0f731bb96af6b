import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { SwarmServices, type TaskRecord } from '../../apps/api/src/controller/swarm/services.js';
import { until } from './until.js';

/** Overlay subnets a test swarm draws itself (ingress): away from PLAT_NETWORK_POOL's 10.213.0.0/16. */
export const TEST_ADDR_POOL = '10.199.0.0/16';

/** Whether this kernel has IPVS, which the routing mesh and service VIPs need. */
export function hasIpvs(): boolean {
  return existsSync('/proc/net/ip_vs');
}

export interface SingleNodeSwarm {
  docker: Docker;
  services: SwarmServices;
  /** This helper made the swarm, so cleanup leaves it. */
  made: boolean;
  /**
   * Removes the instance's services and networks, and those of `alsoInstances`
   * (a platd started after the swarm draws its own instance); leaves the
   * swarm (and its gateway bridge) only if made here.
   */
  cleanup(alsoInstances?: string[]): Promise<void>;
}

/**
 * A single-node swarm for a test: the daemon's own when it is a manager
 * already, else one made on loopback (`docker swarm init --advertise-addr
 * 127.0.0.1`, listening on 127.0.0.1:2377 only). Cleanup runs even when the
 * test failed and leaves the daemon as it was found.
 */
export async function withSingleNodeSwarm(instance: string): Promise<SingleNodeSwarm> {
  const docker = new Docker();
  const services = new SwarmServices({ docker, instance });
  const before = await services.swarmState();
  const gatewayBefore = await hasNetwork(docker, 'docker_gwbridge');
  let made = false;
  if (before.state === 'inactive') {
    await services.initSwarm({ advertiseAddr: '127.0.0.1', defaultAddrPool: [TEST_ADDR_POOL], subnetSize: 24 });
    made = true;
  } else if (before.state !== 'active' || !before.manager) {
    throw new Error(`this Engine is in a swarm it does not manage (state ${before.state}); the test needs a manager`);
  }
  const cleanup = async (alsoInstances: string[] = []) => {
    for (const name of [instance, ...alsoInstances]) await removeInstanceServices(docker, name);
    if (!made) return;
    await services.leaveSwarm({ force: true });
    // Swarm makes the gateway bridge and keeps it after leaving.
    if (!gatewayBefore && (await hasNetwork(docker, 'docker_gwbridge')))
      await docker
        .getNetwork('docker_gwbridge')
        .remove()
        .catch(() => undefined);
  };
  return { docker, services, made, cleanup };
}

/** Removes an instance's services, then (once their tasks stopped) its containers and networks. */
export async function removeInstanceServices(docker: Docker, instance: string): Promise<void> {
  const services = new SwarmServices({ docker, instance });
  for (const service of await services.listServices()) await services.removeService(service.Spec?.Name ?? '');
  // Tasks go with their grace period; their networks can only go after them.
  const filters = { label: [`plat.instance=${instance}`] };
  await until('the test services’ containers to stop', async () => {
    const left = await docker.listContainers({ all: true, filters });
    for (const c of left.filter((c) => c.State !== 'running'))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    return left.length === 0;
  });
  const networks = await docker.listNetworks({ filters });
  for (const network of networks)
    await until(`network ${network.Name} to go`, async () => {
      await docker.getNetwork(network.Id).remove();
      return true;
    });
}

export async function hasNetwork(docker: Docker, name: string): Promise<boolean> {
  const listed = await docker.listNetworks({ filters: { name: [name] } });
  return listed.some((n) => n.Name === name);
}

/** Tasks that serve: running, wanted running, with a published port. */
export function servingTasks(tasks: TaskRecord[]): TaskRecord[] {
  return tasks.filter((t) => t.state === 'running' && t.desiredState === 'running' && t.ports.length > 0);
}

export interface TaskProxy {
  port: number;
  /** Upstream ports now, for assertions. */
  upstreams(): number[];
  stop(): Promise<void>;
}

/**
 * Stands in for nginx on the manager in front of a `host`-published web
 * service: its upstreams are the serving tasks' ports, re-read every 200 ms
 * (platd would re-render on task events), and a request that fails before
 * an answer is tried on the next upstream, as nginx's default
 * `proxy_next_upstream error timeout` does.
 */
export async function startTaskProxy(services: SwarmServices, service: string): Promise<TaskProxy> {
  let upstreams: number[] = [];
  let next = 0;
  let stopped = false;
  const refresh = async () => {
    upstreams = servingTasks(await services.listTasks({ service })).map((t) => t.ports[0]!);
  };
  await refresh();
  const poller = (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await refresh().catch(() => undefined);
    }
  })();
  const server: Server = createServer(async (req, res) => {
    const tried = upstreams.slice();
    const start = next++;
    for (let i = 0; i < tried.length; i += 1) {
      const port = tried[(start + i) % tried.length]!;
      const answer = await forward(port, req.url ?? '/').catch(() => undefined);
      if (answer) {
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
        return;
      }
    }
    res.writeHead(502).end(`no upstream answered (tried ${tried.join(', ') || 'none'})\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    upstreams: () => upstreams.slice(),
    async stop() {
      stopped = true;
      await poller;
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function forward(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { connection: 'close' }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
