import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ImageBuilder } from '@plat/builder';
import { KeyedQueue } from '@plat/core';
import type { Settings } from './config.js';
import { Controller } from './controller/controller.js';
import { AddonRuntime } from './controller/addon-runtime.js';
import { DockerRuntime } from './controller/docker-runtime.js';
import type { Runtime } from './controller/runtime.js';
import { LogHub } from './logs/log-hub.js';
import { RouterLogFiles } from './logs/router-log.js';
import { NginxRouter } from './router/nginx.js';
import { CertRenewals } from './services/certs-renewals.js';
import { listDomains } from './store/domains.js';
import type { Router } from './router/router.js';
import type { SshAccess } from './ssh/ssh-access.js';
import type { Sql } from './store/database.js';

/** What services need from the running platd; built once in main.ts. */
export interface Platform {
  sql: Sql;
  settings: Settings;
  controller: Controller;
  /** For checks before a route is stored; routes change through the controller. */
  router: Router;
  /** Docker for networks; dynos go through the controller. */
  runtime: Runtime;
  /** Add-on containers and volumes, found by their labels. */
  addons: AddonRuntime;
  logs: LogHub;
  /** Automatic certificates (ACME): main.ts starts the loop; services wake it. */
  certRenewals: CertRenewals;
  /** The router's per-app request logs; main.ts starts their rotation. */
  routerLogs: RouterLogFiles;
  images: ImageBuilder;
  /** One build of an app at a time: concurrent pushes queue. */
  builds: KeyedQueue;
  /** One release of an app at a time, so versions and rollouts keep one order. */
  releases: KeyedQueue;
  /** One git receive-pack of an app at a time, over HTTP or SSH. */
  pushes: KeyedQueue;
  /** git over SSH, when platd runs its sshd (main.ts sets it): where it listens, and key changes for it. */
  ssh?: SshAccess;
  reposDir: string;
  /** Shared with the git hook through its environment, per platd process. */
  hookSecret: string;
  /** How pg_dump and pg_restore reach the state database (admin:backup, admin:restore). */
  stateClientArgs?: string[];
  log: (line: string) => void;
}

/** What platd is made of besides the runtime and the router, which differ in tests. */
export interface PlatformParts {
  sql: Sql;
  settings: Settings;
  images: ImageBuilder;
  log: (line: string) => void;
  stateClientArgs?: string[];
}

/**
 * Puts platd's parts together for a data dir and database: nginx as the
 * router, Docker as the runtime, the log hub and the controller. main.ts and
 * the route tests build the same thing.
 */
export function assemblePlatform(parts: PlatformParts): { platform: Platform; router: NginxRouter } {
  const { settings, log } = parts;
  const router = new NginxRouter({
    dir: join(settings.dataDir, 'router'),
    listenHost: settings.routerHost,
    port: settings.routerPort,
    tlsPort: settings.routerTlsPort,
    timeoutSeconds: settings.routerTimeoutSeconds,
    // A route nginx refuses is left out; its app's log and platd's say why.
    onRefused: ({ app, hostname, reason }) => {
      const line = hostname
        ? `not routing ${hostname}: nginx refuses it (${reason})`
        : `not routing ${app}: nginx refuses its routes (${reason})`;
      platform.controller.event(app, 'router', line);
      log(`router: ${app}: ${line}`);
    },
  });
  const platform = composePlatform({
    ...parts,
    runtime: new DockerRuntime({ instance: settings.instance }),
    router,
    routerLogs: new RouterLogFiles({ dir: router.logDir, reopen: () => router.reopenLogs() }),
  });
  return { platform, router };
}

/**
 * The same platform over any runtime and router: the in-memory ones of
 * testing/ run services and the controller without Docker or nginx.
 */
export function composePlatform(
  parts: PlatformParts & { runtime: Runtime; router: Router; routerLogs: RouterLogFiles },
): Platform {
  const { sql, settings, images, log, runtime, router, routerLogs } = parts;
  const logs = new LogHub(sql, routerLogs);
  const controller = new Controller({ sql, runtime, router, settings, logs, log });
  const certRenewals = new CertRenewals({
    sql,
    settings,
    challenges: router.challenges,
    hostnamesOf: async (app) => [
      controller.hostnameOf(app.name),
      ...(await listDomains(sql, app.id)).map((domain) => domain.hostname),
    ],
    converge: (app) => controller.converge(app),
    event: (app, line) => controller.event(app, 'acme', line),
    log,
  });
  return {
    sql,
    settings,
    controller,
    router,
    runtime,
    addons: new AddonRuntime({ instance: settings.instance }),
    logs,
    certRenewals,
    routerLogs,
    images,
    builds: new KeyedQueue(),
    releases: new KeyedQueue(),
    pushes: new KeyedQueue(),
    reposDir: join(settings.dataDir, 'repos'),
    hookSecret: randomBytes(32).toString('hex'),
    ...(parts.stateClientArgs ? { stateClientArgs: parts.stateClientArgs } : {}),
    log,
  };
}
