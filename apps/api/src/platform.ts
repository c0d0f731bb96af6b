import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageBuilder } from '@plat/builder';
import { KeyedQueue } from '@plat/core';
import type { Settings } from './config.js';
import { Controller, type DynoChange } from './controller/controller.js';
import { EcoSleep } from './controller/eco-sleep.js';
import { AddonRuntime } from './controller/addon-runtime.js';
import { DockerRuntime } from './controller/docker-runtime.js';
import { SwarmRuntime } from './controller/swarm/swarm-runtime.js';
import type { Runtime } from './controller/runtime.js';
import { DrainHub } from './drains/drain-hub.js';
import { dynoUpEvent } from './events/dyno-up.js';
import { EventBus } from './events/event-bus.js';
import { LiveStreams } from './events/live-streams.js';
import { MetricsSampler } from './metrics/metrics-sampler.js';
import type { ObservedDyno } from './controller/reconcile.js';
import { LogHub } from './logs/log-hub.js';
import { RouterLogFiles } from './logs/router-log.js';
import { NginxRouter } from './router/nginx.js';
import { wakeEndpoint } from './router/wake-listener.js';
import { Alerts } from './alerts/alerts.js';
import { dynoEvent } from './webhooks/resources.js';
import { Webhooks } from './webhooks/webhooks.js';
import { ApiDomain } from './services/api-domain.js';
import { AppSubnets } from './services/app-subnets.js';
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
  /** Docker for networks and images; dynos go through the controller. */
  runtime: Runtime;
  /** Add-on containers and volumes, found by their labels. */
  addons: AddonRuntime;
  logs: LogHub;
  /** Log drains: every line of an app's log also goes to its drains (main.ts starts it). */
  drains: DrainHub;
  /** Automatic certificates (ACME): main.ts starts the loop; services wake it. */
  certRenewals: CertRenewals;
  /** App webhooks: `emit` stores an event, main.ts starts the delivery worker. */
  webhooks: Webhooks;
  /** Live app events (SSE): every webhook event, and config changes. */
  events: EventBus;
  /** Open SSE streams and log tails: capped per user and in all, closed at shutdown before the server. */
  streams: LiveStreams;
  /** Dyno and add-on metrics from the runtime's stats; main.ts starts it. */
  metrics: MetricsSampler;
  /** Opened and resolved alerts (plat alerts); main.ts starts the periodic check. */
  alerts: Alerts;
  /** PLAT_API_DOMAIN, when set: the API through the router, and its certificate (main.ts loads it). */
  apiDomain?: ApiDomain;
  /** Eco apps' sleep and wake: main.ts starts the sleep check and the wake listener. */
  eco: EcoSleep;
  /** App networks' blocks of PLAT_NETWORK_POOL: reserved with each app, checked at start (main.ts). */
  subnets: AppSubnets;
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

/** Where a client on this host reaches a listener bound to `host`. */
function listenerAddress(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  return host === '::' ? '::1' : host;
}

/**
 * Puts platd's parts together for a data dir and database: nginx as the
 * router, Docker as the runtime, the log hub and the controller. main.ts and
 * the route tests build the same thing.
 */
export function assemblePlatform(parts: PlatformParts): {
  platform: Platform;
  router: NginxRouter;
  wake: { socket: string; secret: string };
} {
  const { settings, log } = parts;
  const routerDir = join(settings.dataDir, 'router');
  mkdirSync(routerDir, { recursive: true });
  const wake = wakeEndpoint(routerDir);
  const router = new NginxRouter({
    dir: routerDir,
    listenHost: settings.routerHost,
    port: settings.routerPort,
    tlsPort: settings.routerTlsPort,
    timeoutSeconds: settings.routerTimeoutSeconds,
    // A held request waits out a boot, then the dyno's own answer.
    wake: { ...wake, holdSeconds: Math.ceil(settings.bootTimeoutMs / 1000) + settings.routerTimeoutSeconds + 5 },
    ...(settings.apiDomain
      ? {
          api: {
            hostname: settings.apiDomain.hostname,
            upstream: { host: listenerAddress(settings.apiHost), port: settings.apiPort },
            maxPushBytes: settings.maxSourceBytes,
            // Silence between reads, not the whole push: build output streams meanwhile.
            pushTimeoutSeconds: Math.ceil(settings.buildTimeoutMs / 1000) + 300,
          },
        }
      : {}),
    // A route nginx refuses is left out; its app's log and platd's say why.
    onRefused: ({ app, hostname, reason }) => {
      const line = hostname
        ? `not routing ${hostname}: nginx refuses it (${reason})`
        : `not routing ${app}: nginx refuses its routes (${reason})`;
      platform.controller.event(app, 'router', line);
      log(`router: ${app}: ${line}`);
    },
  });
  // The runtime makes app networks in the blocks these hand out, which avoid what the runtime sees in use.
  const subnets: AppSubnets = new AppSubnets({
    sql: parts.sql,
    pool: settings.networkPool,
    inUse: () => runtime.subnetsInUse(),
    log,
  });
  const runtime: Runtime =
    settings.runtime === 'swarm'
      ? new SwarmRuntime({
          instance: settings.instance,
          subnets,
          bootTimeoutMs: settings.bootTimeoutMs,
          ...(settings.registry
            ? {
                registry: { dataDir: settings.dataDir, address: settings.registry, log },
              }
            : {}),
        })
      : new DockerRuntime({ instance: settings.instance, subnets });
  const platform = composePlatform({
    ...parts,
    runtime,
    subnets,
    router,
    routerLogs: new RouterLogFiles({ dir: router.logDir, reopen: () => router.reopenLogs() }),
  });
  return { platform, router, wake };
}

/**
 * The same platform over any runtime and router: the in-memory ones of
 * testing/ run services and the controller without Docker or nginx.
 */
export function composePlatform(
  parts: PlatformParts & { runtime: Runtime; router: Router; routerLogs: RouterLogFiles; subnets?: AppSubnets },
): Platform {
  const { sql, settings, images, log, runtime, router, routerLogs } = parts;
  const logs = new LogHub(sql, routerLogs);
  const events = new EventBus();
  const webhooks = new Webhooks({ sql, settings: settings.webhooks, log, tap: (event) => events.fromWebhook(event) });
  const dynoChanged = (change: DynoChange) => {
    const id = logs.idOf(change.app);
    if (!id) return;
    // `up` is for the live views (the dashboard's formation); the webhook's states stay as they were.
    if (change.state === 'up') events.publish(id, dynoUpEvent({ id, name: change.app }, change));
    else webhooks.emit(dynoEvent({ id, name: change.app }, { ...change, state: change.state }));
  };
  const swarm = runtime instanceof SwarmRuntime ? runtime.formation : undefined;
  const controller = new Controller({ sql, runtime, router, settings, logs, log, dynoChanged, swarm });
  const eco = new EcoSleep({
    sql,
    controller,
    sleepMs: settings.ecoSleepMs,
    lastRequestAt: (app) => routerLogs.lastWrittenAt(app),
    ...(router.dynoTraffic ? { dynoTraffic: (peers: string[]) => router.dynoTraffic!(peers) } : {}),
    log,
    dynoChanged,
  });
  const apiDomain = settings.apiDomain
    ? new ApiDomain({ sql, settings: { ...settings, apiDomain: settings.apiDomain }, router, log })
    : undefined;
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
    ...(apiDomain
      ? { platformHostnames: () => apiDomain.orderedHostnames(), platformIssued: () => apiDomain.refresh() }
      : {}),
  });
  return {
    sql,
    settings,
    controller,
    router,
    runtime,
    addons: new AddonRuntime({ instance: settings.instance }),
    logs,
    drains: new DrainHub({ sql, logs, settings: settings.drains, log }),
    certRenewals,
    webhooks,
    events,
    streams: new LiveStreams(),
    metrics: new MetricsSampler({
      sql,
      runtime,
      logs,
      log,
      restartsOf: (source) =>
        controller.crashInfo(source.app, {
          id: source.containerId,
          releaseId: source.releaseId,
          dyno: source.name,
        } as ObservedDyno).restarts,
    }),
    alerts: new Alerts({ sql, logs, webhooks, log }),
    ...(apiDomain ? { apiDomain } : {}),
    eco,
    subnets:
      parts.subnets ?? new AppSubnets({ sql, pool: settings.networkPool, inUse: () => runtime.subnetsInUse(), log }),
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
