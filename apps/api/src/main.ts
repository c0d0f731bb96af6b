#!/usr/bin/env -S node --max-semi-space-size=1
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureStackImage, ImageBuilder } from '@plat/builder';
import { ensureAdminToken } from './admin-token.js';
import { lockDataDir } from './data-dir-lock.js';
import { settingsFromEnv } from './config.js';
import { buildServer } from './http/server.js';
import { alertCheckFor } from './alerts/alert-check.js';
import { startBackupUploads } from './backups/uploads.js';
import { assemblePlatform } from './platform.js';
import { APP_MAX_BODY_MB } from './router/nginx-config.js';
import { WakeListener } from './router/wake-listener.js';
import { recoverAddons } from './services/addon-recovery.js';
import { finishDestroys } from './services/apps.js';
import { ReviewAppReaper } from './services/review-apps.js';
import { backUpBeforeMigrating } from './services/state-backup.js';
import { Scheduler } from './scheduler/scheduler.js';
import { startGitOverSsh } from './ssh/git-over-ssh.js';
import { checkSwarmManager, SwarmRuntime } from './controller/swarm/swarm-runtime.js';
import { openDatabase } from './store/database.js';
import { failInterruptedBuilds } from './store/builds.js';
import { failPendingReleases } from './store/releases.js';
import { migrate } from './store/migrate.js';

const log = (line: string) => console.log(`${new Date().toISOString()} plat[platd]: ${line}`);

async function main(): Promise<void> {
  const settings = settingsFromEnv();
  // Before the data dir and its state server: a platd refused here leaves nothing behind.
  if (settings.runtime === 'swarm') await checkSwarmManager();
  mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(settings.dataDir);
  const database = await openDatabase({
    dataDir: settings.dataDir,
    log,
    ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : {}),
  });
  const before = await backUpBeforeMigrating({
    sql: database.sql,
    clientArgs: database.clientArgs,
    dataDir: settings.dataDir,
  });
  if (before) log(`backed up the state before migrating it: ${before}`);
  const applied = await migrate(database.sql);
  if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
  const admin = await ensureAdminToken(database.sql, settings.dataDir);

  const images = new ImageBuilder(undefined, { maxOutputBytes: settings.maxBuildOutputBytes });
  const { platform, router, wake } = assemblePlatform({
    sql: database.sql,
    settings,
    images,
    log,
    stateClientArgs: database.clientArgs,
  });
  const { controller, logs } = platform;
  // Before the first routes, which it goes in with; bad certificate files stop platd here, saying why.
  await platform.apiDomain?.load();
  try {
    await platform.runtime.ping();
  } catch (error) {
    throw new Error(`Docker does not answer (${(error as Error).message}); run infra/setup.sh or set DOCKER_HOST`);
  }
  if (platform.runtime instanceof SwarmRuntime) await platform.runtime.checkManager();
  // PLAT_REGISTRY_ADDR: the swarm's nodes pull app images from it, so it runs before any service is sent.
  const registry = platform.runtime instanceof SwarmRuntime ? platform.runtime.registry : undefined;
  await registry?.start();
  // A pool that the host's routes or other Docker networks cover entirely stops platd here, naming the setting.
  await platform.subnets.check();
  const stack = await ensureStackImage(images, { log });
  if (stack.built) log(`stack image built (recipe ${stack.recipe})`);
  // Before the API listens, so no build of this platd runs on it.
  const openBuildNetwork = await platform.runtime.remakeOpenBuildNetwork?.();
  if (openBuildNetwork) log(`warning: ${openBuildNetwork}`);
  // A release still pending was cut short by a platd exit mid-rollout: it
  // never became current, and converging removes whatever it started.
  const abandoned = await failPendingReleases(database.sql);
  if (abandoned > 0) log(`marked ${abandoned} interrupted release(s) failed`);
  const interruptedBuilds = await failInterruptedBuilds(database.sql);
  if (interruptedBuilds > 0) log(`marked ${interruptedBuilds} interrupted build(s) failed`);
  // Add-ons half made or half destroyed by a crash, before any dyno starts.
  await recoverAddons(platform);
  platform.routerLogs.start();
  // Before the first routes: sleeping apps' requests come to it.
  const wakeListener = new WakeListener({
    ...wake,
    wake: (app) => platform.eco.wake(app),
    timeoutSeconds: settings.routerTimeoutSeconds,
    maxBodyBytes: APP_MAX_BODY_MB * 1024 ** 2,
    ...(router.workerGid() !== undefined ? { workerGid: router.workerGid()! } : {}),
  });
  await wakeListener.listen();
  // Before the dynos are followed again: their lines from while platd was down reach the drains too.
  await platform.drains.start();
  await controller.restoreAll();
  // Destroys cut short by a crash or an error are finished before anything else can take their names.
  await finishDestroys(platform);
  await controller.start();
  platform.eco.start();
  platform.certRenewals.start();
  platform.webhooks.start();
  await platform.metrics.start();
  const alertCheck = alertCheckFor(platform);
  alertCheck.start(settings.alertCheckMs);
  const scheduler = new Scheduler(platform);
  await scheduler.start();
  // Review apps past their TTL: pr-predestroy, then destroyed with their add-ons.
  const reviewApps = new ReviewAppReaper(platform);
  reviewApps.start();
  // Backups not yet on the backup target (plat backups:target:set), then failed uploads with backoff.
  const backupUploads = startBackupUploads(platform);

  const server = await buildServer(platform);
  await server.listen({ host: settings.apiHost, port: settings.apiPort });
  const gitOverSsh = await startGitOverSsh(platform);
  const shownHost = settings.apiHost === '0.0.0.0' ? '127.0.0.1' : settings.apiHost;
  const apiUrl = `http://${shownHost}:${settings.apiPort}`;
  // The token itself only when it is new: later starts say where it is.
  const shownToken = admin.created
    ? `${admin.token}   (new, shown only now; kept in ${admin.path})`
    : `in ${admin.path}`;
  console.log(
    [
      '',
      `Plat is running (instance ${settings.instance}, state: ${database.description})`,
      `  API:         ${apiUrl}`,
      ...(platform.apiDomain ? [`  API domain:  ${platform.apiDomain.url}`] : []),
      `  Router:      http://<app>.${settings.domain}:${settings.routerPort}/`,
      `  Git via SSH: ${gitOverSsh.banner}`,
      `  Admin token: ${shownToken}`,
      '',
      'Next, in another terminal (npm start put plat in /usr/local/bin):',
      `  plat login --api-url ${apiUrl} --token ${admin.created ? admin.token : `"$(cat ${admin.path})"`}`,
      `  cp -r ${join(process.cwd(), 'examples/flask-hello')} /tmp/hello && cd /tmp/hello`,
      '  git init -q -b main && git add -A && git commit -qm "first version"',
      '  plat apps:create hello && git push platform main && plat open',
      '',
    ].join('\n'),
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log(`${signal}: stopping platd (dynos and the router keep running)`);
    controller.stop();
    platform.eco.stop();
    await wakeListener.close();
    platform.certRenewals.stop();
    alertCheck.stop();
    await platform.webhooks.stop();
    await platform.metrics.stop();
    scheduler.stop();
    reviewApps.stop();
    await backupUploads.stop();
    platform.routerLogs.stop();
    platform.drains.stop();
    await gitOverSsh.stop();
    await registry?.stop();
    // Hijacked stream replies would hold server.close() open for as long as their clients stay.
    platform.streams.closeAll();
    await server.close();
    await logs.close();
    await database.close();
    unlock();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(`platd could not start: ${error.message}`);
  process.exit(1);
});
