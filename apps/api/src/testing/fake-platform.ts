/**
 * A platd core over the in-memory runtime and router: the real controller,
 * services and state store, no Docker and no nginx. For tests of what the
 * controller decides; the end-to-end tests under test/ keep the real ones.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageBuilder } from '@plat/builder';
import { settingsFromEnv, type Settings } from '../config.js';
import { RouterLogFiles } from '../logs/router-log.js';
import { composePlatform, type Platform } from '../platform.js';
import { AppSubnets } from '../services/app-subnets.js';
import { migrate } from '../store/migrate.js';
import type { Backend } from './backends.js';
import { FakeRouter } from './fake-router.js';
import { FakeRuntime } from './fake-runtime.js';

export interface FakePlatform {
  platform: Platform;
  runtime: FakeRuntime;
  router: FakeRouter;
  /** What the runtime and the router did, in order: `start web.1@v2`, `route hello: web.1@v2`, `stop web.1@v1`. */
  journal: string[];
  close(): Promise<void>;
}

/** Starts the controller too (watching the fake's deaths); its timer is as long as the tests. */
export async function startFakePlatform(backend: Backend, overrides: Partial<Settings> = {}): Promise<FakePlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-fake-'));
  const instance = `f${randomBytes(4).toString('hex')}`;
  const settings: Settings = { ...settingsFromEnv({ PLAT_DATA_DIR: dir, PLAT_INSTANCE: instance }), ...overrides };
  const { database, dispose } = await backend.open();
  await migrate(database.sql);
  const journal: string[] = [];
  // App networks get blocks of the pool as with Docker; the fake records them.
  const subnets: AppSubnets = new AppSubnets({
    sql: database.sql,
    pool: settings.networkPool,
    inUse: () => runtime.subnetsInUse(),
    log: () => {},
  });
  const runtime: FakeRuntime = new FakeRuntime({ instance, journal, subnets });
  const router = new FakeRouter({ journal, nameOf: (port) => runtime.dynoAt(port) });
  mkdirSync(join(dir, 'router-logs'));
  const platform = composePlatform({
    sql: database.sql,
    settings,
    images: new ImageBuilder(),
    log: () => {},
    runtime,
    subnets,
    router,
    routerLogs: new RouterLogFiles({ dir: join(dir, 'router-logs'), reopen: () => {} }),
  });
  await platform.controller.start(10 * 60_000);
  return {
    platform,
    runtime,
    router,
    journal,
    close: async () => {
      platform.controller.stop();
      await platform.controller.settle();
      await platform.logs.close();
      await runtime.close();
      await dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
