/**
 * A real platd core for route tests: real state store, real Docker, real
 * nginx, on a unique instance label and free ports, torn down afterwards.
 * Routes are driven with fastify's inject(), no HTTP listener needed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { FastifyInstance } from 'fastify';
import { ImageBuilder } from '@plat/builder';
import { instanceFilter } from '@plat/core';
import { ensureAdminToken } from '../admin-token.js';
import { HostFirewall } from '../controller/host-firewall.js';
import { settingsFromEnv, type Settings } from '../config.js';
import { buildServer } from '../http/server.js';
import { assemblePlatform, type Platform } from '../platform.js';
import { migrate } from '../store/migrate.js';
import type { Backend } from './backends.js';

export interface TestPlatform {
  platform: Platform;
  server: FastifyInstance;
  adminToken: string;
  settings: Settings;
  router: ReturnType<typeof assemblePlatform>['router'];
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function removeInstance(instance: string): Promise<void> {
  const docker = new Docker();
  const filters = { label: [instanceFilter(instance)] };
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => {});
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => {});
  await new HostFirewall({ instance }).releaseAll();
  for (const i of await docker.listImages({ all: true, filters }))
    await docker
      .getImage(i.Id)
      .remove({ force: true })
      .catch(() => {});
}

export async function startTestPlatform(backend: Backend, overrides: Partial<Settings> = {}): Promise<TestPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-api-test-'));
  const instance = `t${randomBytes(4).toString('hex')}`;
  const settings: Settings = {
    ...settingsFromEnv({
      PLAT_DATA_DIR: dir,
      PLAT_INSTANCE: instance,
      PLAT_ROUTER_HOST: '127.0.0.1',
      PLAT_API_HOST: '127.0.0.1',
    }),
    apiPort: await freePort(),
    routerPort: await freePort(),
    routerTlsPort: await freePort(),
    bootTimeoutMs: 20_000,
    ...overrides,
  };
  const { database, dispose } = await backend.open();
  await migrate(database.sql);
  const admin = await ensureAdminToken(database.sql, dir);
  const { platform, router } = assemblePlatform({
    sql: database.sql,
    settings: { ...settings, routerHost: '127.0.0.1' },
    images: new ImageBuilder(),
    log: () => {},
  });
  const { controller, logs } = platform;
  const server = await buildServer(platform);
  return {
    platform,
    server,
    adminToken: admin.token,
    settings,
    router,
    close: async () => {
      await server.close();
      await controller.settle();
      await logs.close();
      await router.stop();
      await removeInstance(instance);
      await dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
