import { networkName } from '@plat/core';
import type { Settings } from '../../config.js';
import type { LogHub } from '../../logs/log-hub.js';
import { appIds, findApp } from '../../store/apps.js';
import { servableCertificates } from '../../store/certificates.js';
import type { Sql } from '../../store/database.js';
import { listDomains } from '../../store/domains.js';
import type { ReleaseRow } from '../../store/releases.js';
import type { CrashTracker } from '../crash-backoff.js';
import type { DynoLogFollow } from '../dyno-log-follow.js';
import type { ObservedDyno } from '../reconcile.js';
import { planRollout, routeWith } from '../rollout-plan.js';
import type { RouteTable } from '../route-table.js';
import type { Runtime } from '../runtime.js';
import { swarmInput } from './converge-input.js';
import type { TaskRecord } from './services.js';
import type { SwarmFormation } from './swarm-formation.js';

export interface SwarmConvergeDeps {
  sql: Sql;
  runtime: Pick<Runtime, 'ensureNetwork' | 'removeOrphanNetworks'>;
  settings: Pick<Settings, 'instance'>;
  logs: Pick<LogHub, 'forget' | 'knowApp' | 'lastAt'>;
  swarm: SwarmFormation;
  routes: RouteTable;
  output: DynoLogFollow;
  crashes: CrashTracker;
  /** A task of the app that ended on its own, on any node (Swarm restarts it). */
  onCrash: (app: string, task: TaskRecord) => void;
  /** The app's own hostname (`<app>.<PLAT_DOMAIN>`). */
  hostname: string;
}

/**
 * One converge of an app on the swarm runtime: its services get its release
 * and formation (SwarmFormation follows the rolling update), the router
 * lists its serving web tasks as they change, and every task's output is
 * followed. An app gone (destroyed, renamed) loses its services and route.
 */
export async function convergeSwarmApp(
  deps: SwarmConvergeDeps,
  appName: string,
  options: { target?: ReleaseRow | undefined; timer?: { mark(phase: string): void } | undefined } = {},
): Promise<void> {
  const { sql, runtime, settings, logs, swarm, routes, output } = deps;
  const found = await findApp(sql, appName);
  const app = found && !found.destroying ? found : undefined;
  if (!app) {
    await routes.remove(appName);
    logs.forget(appName);
    await swarm.tearDown(appName);
    await runtime.removeOrphanNetworks(() => appIds(sql));
    return;
  }
  logs.knowApp(app.name, app.id);
  const input = await swarmInput(sql, app, options.target);
  const plan = planRollout({
    app,
    asleep: input.asleep,
    hostname: deps.hostname,
    domains: (await listDomains(sql, app.id)).map((domain) => domain.hostname),
    certificates: await servableCertificates(sql, app.id),
    desired: [],
    actual: [],
    crashes: deps.crashes,
    now: Date.now(),
  });
  if (plan.kind !== 'rollout') return;
  const route = async (dynos: ObservedDyno[]) => {
    await routes.put(app.name, routeWith(plan.route, dynos));
    const since = await logs.lastAt(app.id);
    for (const dyno of dynos) output.follow(app.id, dyno, since);
  };
  if (!input.release) return route([]);
  await runtime.ensureNetwork(networkName(settings.instance, app.id), app.name, app.id);
  options.timer?.mark('start');
  await swarm.converge({ ...input, app, release: input.release, onWebTasks: route });
  options.timer?.mark('ready');
  options.timer?.mark('route');
  // Every process type's output reaches the app's log, not only the routed web tasks'.
  const since = await logs.lastAt(app.id);
  const { dynos, crashed } = await swarm.observe(app.id);
  for (const task of crashed) deps.onCrash(app.name, task);
  for (const dyno of dynos) if (dyno.running) output.follow(app.id, dyno, since);
}
