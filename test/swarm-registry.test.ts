/**
 * A swarm of several nodes pulls app images from the registry Plat runs
 * (PLAT_REGISTRY_ADDR, issue 16). On this one node, loopback: a deploy
 * pushes the build, the service names it by the registry's pinned ref, the
 * app answers through the router, and destroying the app deletes its tags
 * from the registry. Needs Docker: run under `flock /tmp/plat-docker.lock`.
 */
import { randomBytes } from 'node:crypto';
import { serviceName } from '@plat/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwarmServices } from '../apps/api/src/controller/swarm/services.js';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { freePort } from './support/ports.js';
import { run } from './support/run.js';
import { type SingleNodeSwarm, withSingleNodeSwarm } from './support/swarm.js';

const APP = 'pulled';
let swarm: SingleNodeSwarm;
let platd: Platd;
let registry: string;
let repo: string;

async function registryTags(repository: string): Promise<string[]> {
  const response = await fetch(`http://${registry}/v2/${repository}/tags/list`);
  if (response.status === 404) return [];
  expect(response.status).toBe(200);
  return ((await response.json()) as { tags: string[] | null }).tags ?? [];
}

beforeAll(async () => {
  swarm = await withSingleNodeSwarm(`t${randomBytes(4).toString('hex')}`);
  registry = `127.0.0.1:${await freePort()}`;
  platd = await startPlatd({ env: { PLAT_RUNTIME: 'swarm', PLAT_REGISTRY_ADDR: registry } });
  const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
  expect(login.code, login.output).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  const created = await platd.plat(['apps:create', APP], { cwd: repo });
  expect(created.code, created.output).toBe(0);
});

afterAll(async () => {
  const failures: unknown[] = [];
  await platd?.destroy().catch((error: unknown) => failures.push(error));
  await swarm?.cleanup(platd ? [platd.instance] : []).catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw failures[0];
});

describe("the swarm runtime's registry", () => {
  it('pushes each build, runs the service from its pinned ref, and deletes its tags with the app', async () => {
    // The first push to an empty registry carries the stack's layers too: minutes on a slow disk.
    const pushed = await run('git', ['push', 'platform', 'main'], {
      cwd: repo,
      env: platd.userEnv,
      timeoutMs: 300_000,
    });
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('Released v2');
    const response = await get(platd.routerPort, `${APP}.localhost`);
    expect(response.status, response.body).toBe(200);

    const services = new SwarmServices({ docker: swarm.docker, instance: platd.instance });
    const [service] = (await services.listServices()).filter(
      (s) => s.Spec?.Name === serviceName(platd.instance, APP, 'web'),
    );
    const template = service?.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined;
    const image = template?.ContainerSpec?.Image ?? '';
    const repository = `plat/${platd.instance}-${APP}`;
    expect(image).toMatch(
      new RegExp(`^${registry.replace(/\./g, '\\.')}/${repository}:[0-9a-f-]{12}@sha256:[0-9a-f]{64}$`),
    );
    const tag = /:([0-9a-f-]{12})@/.exec(image)![1]!;
    expect(await registryTags(repository)).toEqual([tag]);

    const destroyed = await platd.plat(['apps:destroy', '-a', APP, '--confirm', APP], { cwd: repo });
    expect(destroyed.code, destroyed.output).toBe(0);
    expect(await registryTags(repository)).toEqual([]);
  });
});
