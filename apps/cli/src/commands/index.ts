import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { addAccess, listAccess, removeAccess } from './access/manage.js';
import { showDisk } from './admin/disk.js';
import { backupState, restoreState } from './admin/state.js';
import { exportPlat } from './admin/export.js';
import { importPlat } from './admin/import.js';
import { addonInfo, createAddon, destroyAddon, listAddons } from './addons/manage.js';
import { setBuildpack, showBuildpack } from './apps/buildpacks.js';
import { registerBackupTargetCommands } from './backups/register.js';
import { createApp } from './apps/create.js';
import { setupApp } from './apps/setup.js';
import { destroyApp } from './apps/destroy.js';
import { appInfo, openApp } from './apps/info.js';
import { listApps } from './apps/list.js';
import { gitRemote } from './apps/remote.js';
import { renameApp } from './apps/rename.js';
import { buildOutput, listBuilds } from './builds/list.js';
import { addCert, listCerts, removeCert, setAutoCerts } from './certs/manage.js';
import { setConfig, unsetConfig } from './config/set.js';
import { getConfig, showConfig } from './config/show.js';
import { addDomain, listDomains, removeDomain } from './domains/manage.js';
import { addDrain, listDrains, removeDrain } from './drains/manage.js';
import { listAlerts } from './alerts/list.js';
import {
  addWebhook,
  listDeliveries,
  listWebhooks,
  removeWebhook,
  updateWebhook,
  webhookInfo,
} from './webhooks/manage.js';
import { addKey, listKeys, removeKey } from './keys/manage.js';
import { login, logout, whoami } from './login.js';
import { listFeatures, setFeature } from './labs/manage.js';
import { showLogs } from './logs/show.js';
import { setMaintenance, showMaintenance } from './maintenance/manage.js';
import { showMetrics } from './metrics/show.js';
import { registerNodeCommands } from './nodes/register.js';
import { listDynos, restartDynos, stopDynos } from './ps/list.js';
import { scale, showFormation } from './ps/scale.js';
import { listReleases, releaseInfo, rollback } from './releases/list.js';
import { psql, runAttached, runDetached } from './run/attach.js';
import {
  captureBackup,
  downloadBackup,
  listBackups,
  pgInfo,
  restoreBackup,
  scheduleBackups,
  verifyBackup,
} from './pg/manage.js';
import {
  captureRedisBackup,
  downloadRedisBackup,
  listRedisBackups,
  restoreRedisBackup,
  verifyRedisBackup,
} from './redis/backups.js';
import { addToPipeline, createPipeline, listPipelines, pipelineInfo, removeFromPipeline } from './pipelines/manage.js';
import { diff as pipelineDiff, promote } from './pipelines/promote.js';
import { createReviewApp, destroyReviewApp, listReviewApps } from './review-apps/manage.js';
import { addJob, listJobs, removeJob } from './scheduler/manage.js';
import { status } from './status.js';
import { createToken, listTokens, revokeToken } from './tokens/manage.js';
import { createUser, listUserTokens, listUsers, setUserDisabled } from './users/manage.js';

const APP = ['-a, --app <name>', 'app to run the command against (default: the "platform" git remote here)'] as const;
const JSON_FLAG = ['--json', 'output as JSON'] as const;

/** Commander's way of taking a flag more than once. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function example(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;
}

/** Every command, in one place: name, flags, examples, and the function it runs. */
export function registerCommands(program: Command, context: CommandContext): void {
  const command = (spec: string, description: string, ...examples: string[]) => {
    const cmd = program.command(spec).description(description);
    if (examples.length) cmd.addHelpText('after', example(...examples));
    return cmd;
  };

  command('login', 'log in to a Plat API with a token', 'plat login --api-url http://127.0.0.1:5000 --token plat_...')
    .option('--api-url <url>', 'Plat API URL')
    .option('--token <token>', 'API token (platd prints the admin token at start)')
    .action((o) => login(o, context));
  command('logout', 'forget the stored credentials').action((o) => logout(o, context));
  command('whoami', 'show the logged-in user').action((o) => whoami(o, context));
  command('status', "show the platform's health")
    .option(...JSON_FLAG)
    .action((o) => status(o, context));
  command(
    'admin:disk',
    'show what Plat holds on disk per app: images, volumes, repo, backups, logs (admins only)',
    'plat admin:disk',
    'plat admin:disk --json',
  )
    .option(...JSON_FLAG)
    .action((o) => showDisk(o, context));
  command(
    'admin:backup [file]',
    "save the state (a pg_dump of platd's database and the admin token) to a file (admins only)",
    'plat admin:backup plat-state.tar',
  ).action((f) => backupState(f, context));
  command(
    'admin:restore <file>',
    'load a state backup into a freshly started Plat with no apps (admins only)',
    'plat admin:restore plat-state.tar',
  ).action((f) => restoreState(f, context));
  command(
    'admin:export <file>',
    'export the whole Plat (state, repos, images, add-on data, keys) to one archive (admins only)',
    'plat admin:export plat-export.tar',
  ).action((f) => exportPlat(f, context));
  command(
    'admin:import <file>',
    'import an archive of plat admin:export into a freshly started Plat with no apps (admins only)',
    'plat admin:import plat-export.tar',
  ).action((f) => importPlat(f, context));
  registerNodeCommands(command, context);
  registerBackupTargetCommands(command, context);

  command('apps', 'list your apps')
    .option(...JSON_FLAG)
    .action((o) => listApps(o, context));
  command(
    'apps:create [name]',
    'create an app (a name is generated when omitted) and add the "platform" git remote here',
    'plat apps:create hello',
    'git push platform main',
  )
    .option(...JSON_FLAG)
    .option('--no-remote', 'do not add a git remote')
    .option('--ssh', 'make the remote use git over SSH (ssh://git@host/app.git) instead of HTTP')
    .option('--manifest <file>', 'apply an app.json: its config vars, formation, buildpack and add-ons')
    .option('--env <KEY=VALUE>', "a value for one of app.json's vars (repeatable)", collect, [])
    .action((name, o) => createApp(name, o, context));
  command(
    'apps:setup <source>',
    'create an app from a folder, git repo or tarball with an app.json, and push its code (Heroku app-setups)',
    'plat apps:setup . --name shop --env API_TOKEN=t0k3n',
    'plat apps:setup shop-main.tar.gz',
  )
    .option('--name <name>', "the app's name (generated when omitted)")
    .option('--env <KEY=VALUE>', "a value for one of app.json's vars (repeatable)", collect, [])
    .option(...JSON_FLAG)
    .action((source, o) => setupApp(source, o, context));
  command('labs', "show the app's labs features", 'plat labs -a hello')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listFeatures(o, context));
  command(
    'labs:enable <feature>',
    "switch a labs feature on (heroku-metadata: Heroku's names for the dyno metadata); dynos restart",
    'plat labs:enable heroku-metadata -a hello',
  )
    .option(...APP)
    .action((f, o) => setFeature(f, true, o, context));
  command('labs:disable <feature>', 'switch a labs feature off; dynos restart')
    .option(...APP)
    .action((f, o) => setFeature(f, false, o, context));
  command('apps:info', 'show an app')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => appInfo(o, context));
  command('apps:rename <newname>', 'rename an app (its URL and git remote change)', 'plat apps:rename shop -a store')
    .option(...APP)
    .action((newName, o) => renameApp(newName, o, context));
  command(
    'apps:destroy',
    'permanently destroy an app, its dynos, releases and add-ons',
    'plat apps:destroy -a hello --confirm hello',
  )
    .option(...APP)
    .option('--confirm <name>', "the app's name, to confirm")
    .action((o) => destroyApp(o, context));
  command('open', "print the app's URL")
    .option(...APP)
    .action((o) => openApp(o, context));
  command(
    'git:remote',
    'add the "platform" git remote for an app here',
    'plat git:remote -a hello',
    'plat git:remote -a hello --ssh',
  )
    .option(...APP)
    .option('--ssh', 'use git over SSH (your key: plat keys:add) instead of HTTP')
    .action((o) => gitRemote(o, context));

  command('buildpacks', "show the app's buildpack")
    .option(...APP)
    .action((o) => showBuildpack(o, context));
  command(
    'buildpacks:set <name>',
    'use this buildpack instead of detection: dockerfile, python, node, static or procfile',
    'plat buildpacks:set static',
  )
    .option(...APP)
    .action((n, o) => setBuildpack(n, o, context));
  command('buildpacks:clear', 'go back to detecting the buildpack')
    .option(...APP)
    .action((o) => setBuildpack(null, o, context));

  command('config', 'show config vars', 'plat config', 'plat config --shell > .env')
    .option(...APP)
    .option(...JSON_FLAG)
    .option('-s, --shell', 'output as KEY=value lines for a shell or .env file')
    .action((o) => showConfig(o, context));
  command('config:get <key>', 'print one config var')
    .option(...APP)
    .action((key, o) => getConfig(key, o, context));
  command('config:set <pairs...>', 'set config vars (makes a release)', 'plat config:set SECRET_KEY=s3cret DEBUG=0')
    .option(...APP)
    .action((pairs, o) => setConfig(pairs, o, context));
  command('config:unset <keys...>', 'unset config vars (makes a release)', 'plat config:unset DEBUG')
    .option(...APP)
    .action((keys, o) => unsetConfig(keys, o, context));

  command('releases', 'list releases')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listReleases(o, context));
  command('releases:info <version>', 'show one release', 'plat releases:info v3')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((v, o) => releaseInfo(v, o, context));
  command(
    'rollback [version]',
    "roll back to a release's code and config (default: the previous release)",
    'plat rollback',
    'plat rollback v3',
  )
    .option(...APP)
    .action((v, o) => rollback(v, o, context));
  command('builds', 'list builds')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listBuilds(o, context));
  command('builds:output [id]', "print a build's output (default: the latest)")
    .option(...APP)
    .action((id, o) => buildOutput(id, o, context));

  command('ps', 'list dynos')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listDynos(o, context));
  command(
    'ps:restart [target]',
    'restart all dynos, a process type, or one dyno',
    'plat ps:restart',
    'plat ps:restart web',
    'plat ps:restart web.2',
  )
    .option(...APP)
    .action((target, o) => restartDynos(target, o, context));
  command(
    'metrics',
    'memory and CPU per process type (and add-on): average and peak, restarts, R14s',
    'plat metrics',
    'plat metrics --since 24h --type web',
  )
    .option(...APP)
    .option('--since <period>', 'how far back: 30m, 1h (default), 24h, 30d')
    .option('--type <type>', 'only this process type or add-on')
    .option(...JSON_FLAG)
    .action((o) => showMetrics(o, context));
  command('ps:stop <target>', 'stop a process type or one dyno (the formation starts fresh ones)', 'plat ps:stop web.1')
    .option(...APP)
    .action((target, o) => stopDynos(target, o, context));
  command(
    'scale [changes...]',
    'scale process types; no arguments shows the formation',
    'plat scale web=3 worker=1',
    'plat scale web=2:performance',
  )
    .option(...APP)
    .option(...JSON_FLAG)
    .action((changes: string[], o) => (changes.length ? scale(changes, o, context) : showFormation(o, context)));

  command(
    'logs',
    "show the app's logs: dynos, router, builds and platform events",
    'plat logs --tail',
    'plat logs -n 500 --dyno web.1',
    'plat logs --source router',
  )
    .option(...APP)
    .option('-n, --num <lines>', 'how many recent lines (default 100)')
    .option('-t, --tail', 'keep following new lines (Ctrl-C stops)')
    .option('-d, --dyno <dyno>', 'only this dyno (web.1) or process type (web)')
    .option('-s, --source <source>', 'only app, router, build or plat lines')
    .action((o) => showLogs(o, context));
  command('drains', "list the app's log drains")
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listDrains(o, context));
  command(
    'drains:add <url>',
    "deliver the app's log stream to a drain too: syslog+tls://, syslog:// (RFC 5424 over TCP) or https://",
    'plat drains:add syslog+tls://logs.example.com:6514',
    'plat drains:add https://user:secret@logs.example.com/heroku',
  )
    .option(...APP)
    .option(...JSON_FLAG)
    .action((url, o) => addDrain(url, o, context));
  command('drains:remove <drain>', 'stop delivering to a drain, named by its URL or token')
    .option(...APP)
    .action((d, o) => removeDrain(d, o, context));

  command('webhooks', "list the app's webhooks")
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listWebhooks(o, context));
  command(
    'webhooks:add',
    "send the app's events to a URL as signed JSON (Heroku's app webhooks, plus alert events)",
    'plat webhooks:add --url https://hooks.example.com/plat --include api:release,api:build,dyno,api:addon',
    'plat webhooks:add -u https://hooks.example.com/plat -i alert -s MY_SECRET',
  )
    .option(...APP)
    .option('-u, --url <url>', 'receiver: http:// or https://')
    .option('-i, --include <types>', 'comma-separated: api:release, api:build, api:addon, api:formation, dyno, alert')
    .option('-l, --level <level>', 'sync (default): retried for up to 24 hours; notify: one attempt')
    .option('-s, --secret <secret>', 'signs each delivery (Plat-Webhook-Hmac-SHA256); made and shown once if omitted')
    .option(...JSON_FLAG)
    .action((o) => addWebhook(o, context));
  command('webhooks:info <id>', 'show a webhook')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((id, o) => webhookInfo(id, o, context));
  command('webhooks:update <id>', "change a webhook's URL, event types, level or secret")
    .option(...APP)
    .option('-u, --url <url>', 'receiver: http:// or https://')
    .option('-i, --include <types>', 'comma-separated event types')
    .option('-l, --level <level>', 'sync or notify')
    .option('-s, --secret <secret>', 'a new signing secret')
    .option(...JSON_FLAG)
    .action((id, o) => updateWebhook(id, o, context));
  command('webhooks:remove <id>', 'remove a webhook')
    .option(...APP)
    .action((id, o) => removeWebhook(id, o, context));
  command('webhooks:deliveries', "the newest deliveries of the app's webhooks, with each attempt's status code")
    .option(...APP)
    .option('--webhook <id>', "only this webhook's")
    .option('-n, --num <count>', 'how many (default 50)')
    .option(...JSON_FLAG)
    .action((o) => listDeliveries(o, context));
  command(
    'alerts',
    'open alerts: certificates expiring or failing to renew, failed backups, crash loops, a full disk',
    'plat alerts',
    'plat alerts -a hello --all',
  )
    .option('-a, --app <name>', 'only this app (and the platform)')
    .option('--all', 'also alerts resolved in the last 30 days')
    .option(...JSON_FLAG)
    .action((o) => listAlerts(o, context));

  command(
    'run',
    'run a command in a one-off dyno attached to this terminal; exits with its exit code',
    'plat run python manage.py shell',
    'plat run -a hello -- ls -la',
  )
    .argument('<command...>')
    .option(...APP)
    .passThroughOptions()
    .action((words: string[], o) => runAttached(words, o, context));
  command(
    'run:detached',
    'run a command in a one-off dyno in the background; its output goes to plat logs',
    'plat run:detached python manage.py clearsessions',
  )
    .argument('<command...>')
    .option(...APP)
    .passThroughOptions()
    .action((words: string[], o) => runDetached(words, o, context));

  command('domains', 'list domains')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listDomains(o, context));
  command('domains:add <hostname>', 'route a custom domain to the app', 'plat domains:add www.example.com')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((h, o) => addDomain(h, o, context));
  command('domains:remove <hostname>', 'stop routing a custom domain')
    .option(...APP)
    .action((h, o) => removeDomain(h, o, context));

  command('certs', "show what serves each of the app's hostnames over HTTPS, and its certificates")
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listCerts(o, context));
  command(
    'certs:add <cert> <key>',
    'serve an own certificate (PEM chain, server certificate first; unencrypted PEM key) for the hostnames it covers',
    'plat certs:add fullchain.pem privkey.pem',
  )
    .option(...APP)
    .option(...JSON_FLAG)
    .action((c, k, o) => addCert(c, k, o, context));
  command(
    'certs:remove [id]',
    'stop serving an own certificate, named by its id or a hostname (default: the only one)',
    'plat certs:remove www.example.com',
  )
    .option(...APP)
    .action((id, o) => removeCert(id, o, context));
  command(
    'certs:auto:enable',
    "get and renew certificates for the app's hostnames automatically (ACME; their DNS must point here)",
    'plat certs:auto:enable',
    'plat certs',
  )
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => setAutoCerts(true, o, context));
  command('certs:auto:disable', 'stop automatic certificates; the ones Plat got for the app are no longer served')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => setAutoCerts(false, o, context));

  command('maintenance', 'show whether maintenance mode is on')
    .option(...APP)
    .action((o) => showMaintenance(o, context));
  command('maintenance:on', 'answer every request with a maintenance page')
    .option(...APP)
    .action((o) => setMaintenance(true, o, context));
  command('maintenance:off', 'serve the app again')
    .option(...APP)
    .action((o) => setMaintenance(false, o, context));

  command('addons', "list the app's add-ons")
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listAddons(o, context));
  command(
    'addons:create <plan>',
    'provision an add-on and attach it: postgres[:hobby|standard], redis[:mini|premium], scheduler',
    'plat addons:create postgres',
    'plat addons:create postgres --as ANALYTICS_DATABASE',
  )
    .option(...APP)
    .option('--as <name>', 'attachment name: ANALYTICS_DATABASE sets ANALYTICS_DATABASE_URL')
    .option(...JSON_FLAG)
    .action((plan, o) => createAddon(plan, o, context));
  command('addons:info <addon>', 'show an add-on')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((n, o) => addonInfo(n, o, context));
  command(
    'addons:destroy <addon>',
    'detach and destroy an add-on and its data',
    'plat addons:destroy postgres-calm-1234 --confirm postgres-calm-1234',
  )
    .option(...APP)
    .option('--confirm <name>', "the add-on's name, to confirm")
    .action((n, o) => destroyAddon(n, o, context));

  command('pg:info [addon]', 'show a postgres add-on (default: the DATABASE_URL one)')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((a, o) => pgInfo(a, o, context));
  command(
    'pg:psql [addon]',
    'open psql on a postgres add-on (default: the DATABASE_URL one)',
    'plat pg:psql',
    'echo "select 1" | plat pg:psql',
  )
    .option(...APP)
    .action((a, o) => psql(a, o, context));
  command('pg:backups', "list the app's database backups")
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listBackups(o, context));
  command('pg:backups:capture [addon]', 'capture a backup (pg_dump) of a postgres add-on and check it restores')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((a, o) => captureBackup(a, o, context));
  command(
    'pg:backups:verify [backup]',
    'check a backup again (the newest by default): restore it into a scratch server, compare tables and rows',
  )
    .option(...APP)
    .option(...JSON_FLAG)
    .action((b, o) => verifyBackup(b, o, context));
  command('pg:backups:download [backup]', 'download a backup (the newest by default) as a pg_restore file')
    .option(...APP)
    .option('-o, --output <file>', 'where to write it (default APP-bN.dump)')
    .action((b, o) => downloadBackup(b, o, context));
  command(
    'pg:backups:restore <backup> [addon]',
    'restore a backup into a postgres add-on, replacing its data',
    'plat pg:backups:restore b001 postgres-calm-1234 --confirm hello',
  )
    .option(...APP)
    .option('--confirm <app>', "the app's name, to confirm")
    .action((b, a, o) => restoreBackup(b, a, o, context));
  command('redis:backups', "list the app's redis backups (RDB snapshots) and their checks")
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listRedisBackups(o, context));
  command('redis:backups:capture [addon]', 'capture an RDB snapshot of a redis add-on and check it loads')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((a, o) => captureRedisBackup(a, o, context));
  command('redis:backups:verify [backup]', 'check a redis backup again (the newest by default) in a scratch redis')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((b, o) => verifyRedisBackup(b, o, context));
  command(
    'redis:backups:restore <backup> [addon]',
    "replace a redis add-on's keys with a snapshot's; it keeps serving",
    'plat redis:backups:restore b002 --confirm hello',
  )
    .option(...APP)
    .option('--confirm <app>', "the app's name, to confirm")
    .action((b, a, o) => restoreRedisBackup(b, a, o, context));
  command('redis:backups:download [backup]', 'download a redis backup (the newest by default) as an RDB file')
    .option(...APP)
    .option('-o, --output <file>', 'where to write it (default APP-bN.rdb)')
    .action((b, o) => downloadRedisBackup(b, o, context));
  command('pg:backups:schedule [addon]', 'capture a backup every day', 'plat pg:backups:schedule --at 2')
    .option(...APP)
    .option('--at <hour>', 'hour of the day, UTC (default 2)')
    .action((a, o) => scheduleBackups(a, o, context));

  command('scheduler', "list the app's scheduled jobs")
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listJobs(o, context));
  command(
    'scheduler:add <schedule> <command>',
    'run a command in a one-off dyno on a cron schedule (UTC); needs the scheduler add-on',
    'plat addons:create scheduler',
    'plat scheduler:add "*/10 * * * *" "python task.py"',
  )
    .option(...APP)
    .option(...JSON_FLAG)
    .action((schedule, cmd, o) => addJob(schedule, cmd, o, context));
  command('scheduler:remove <id>', 'remove a scheduled job')
    .option(...APP)
    .action((id, o) => removeJob(id, o, context));

  const STAGE = ['--stage <stage>', 'review, development, staging or production (default staging)'] as const;
  command('pipelines', 'list your pipelines')
    .option(...JSON_FLAG)
    .action((o) => listPipelines(o, context));
  command(
    'pipelines:create <name>',
    'create a pipeline with the app in a stage',
    'plat pipelines:create shop -a shop-staging --stage staging',
  )
    .option(...APP)
    .option(...STAGE)
    .option(...JSON_FLAG)
    .action((n, o) => createPipeline(n, o, context));
  command(
    'pipelines:add <pipeline>',
    'add the app to a pipeline in a stage (an app is in one pipeline at most)',
    'plat pipelines:add shop -a shop-prod --stage production',
  )
    .option(...APP)
    .option(...STAGE)
    .option(...JSON_FLAG)
    .action((n, o) => addToPipeline(n, o, context));
  command('pipelines:remove', 'take the app out of its pipeline (the app stays)')
    .option(...APP)
    .action((o) => removeFromPipeline(o, context));
  command('pipelines:info [pipeline]', "show a pipeline's apps by stage (default: the app's pipeline)")
    .option(...APP)
    .option(...JSON_FLAG)
    .action((n, o) => pipelineInfo(n, o, context));
  command(
    'pipelines:promote',
    "release the app's current image to the next stage's apps, each with its own config (no build)",
    'plat pipelines:promote -a shop-staging',
    'plat pipelines:promote -a shop-staging --to shop-eu,shop-us',
  )
    .option(...APP)
    .option('-t, --to <apps>', 'comma-separated downstream apps (default: every app of the next stage)')
    .option(...JSON_FLAG)
    .action((o) => promote(o, context));
  command('pipelines:diff', "show the commits between the app's release and the next stage's", 'plat pipelines:diff')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => pipelineDiff(o, context));
  command('review-apps', "list a pipeline's review apps")
    .option('--pipeline <name>', "the pipeline (default: the app's)")
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listReviewApps(o, context));
  command(
    'review-apps:create <branch>',
    "create a temporary app from a branch of the pipeline's staging app (app.json applied)",
    'git push platform feature-x && plat review-apps:create feature-x --pipeline shop --ttl 3d',
  )
    .option('--pipeline <name>', "the pipeline (default: the app's)")
    .option(...APP)
    .option('--ttl <duration>', 'destroy it after this long: 12h, 3d (default 5d, at most 30d)')
    .option(...JSON_FLAG)
    .action((b, o) => createReviewApp(b, o, context));
  command(
    'review-apps:destroy <app>',
    "destroy a review app and its add-ons, after app.json's pr-predestroy script",
    'plat review-apps:destroy shop-pr-feature-x',
  )
    .option('--pipeline <name>', "the pipeline (default: the app's)")
    .action((a, o) => destroyReviewApp(a, o, context));

  command('access', 'list who can use the app')
    .option(...APP)
    .option(...JSON_FLAG)
    .action((o) => listAccess(o, context));
  command('access:add <email>', 'give a user access to the app', 'plat access:add dev@example.com')
    .option(...APP)
    .action((e, o) => addAccess(e, o, context));
  command('access:remove <email>', "remove a user's access")
    .option(...APP)
    .action((e, o) => removeAccess(e, o, context));

  command('tokens', 'list your API tokens')
    .option(...JSON_FLAG)
    .action((o) => listTokens(o, context));
  command(
    'tokens:create',
    'create an API token (shown once)',
    'plat tokens:create --description ci',
    'plat tokens:create --description deploy --expires-in 30d',
  )
    .option('--description <text>', 'what the token is for')
    .option('--expires-in <duration>', 'stop working after this long: 90s, 15m, 12h, 30d')
    .option(...JSON_FLAG)
    .action((o) => createToken(o, context));
  command('tokens:revoke <id>', "revoke an API token (admins: anyone's)").action((id, o) =>
    revokeToken(id, o, context),
  );

  command('keys', 'list your SSH public keys (for git over SSH)')
    .option(...JSON_FLAG)
    .action((o) => listKeys(o, context));
  command(
    'keys:add [file]',
    'add an SSH public key to your account (default ~/.ssh/id_ed25519.pub)',
    'plat keys:add',
    'plat keys:add ~/.ssh/id_rsa.pub',
  )
    .option(...JSON_FLAG)
    .action((f, o) => addKey(f, o, context));
  command(
    'keys:remove <key>',
    'remove one of your SSH keys, by its fingerprint or its comment',
    'plat keys:remove SHA256:2f3...',
    'plat keys:remove me@laptop',
  ).action((k, o) => removeKey(k, o, context));

  command('users', 'list users (admins only)')
    .option(...JSON_FLAG)
    .action((o) => listUsers(o, context));
  command(
    'users:create <email>',
    'add a user and print their first token (admins only)',
    'plat users:create dev@example.com',
  )
    .option('--admin', 'make the user an admin')
    .option(...JSON_FLAG)
    .action((e, o) => createUser(e, o, context));
  command(
    'users:disable <email>',
    'disable a user: their tokens stop working at once, git pushes included (admins only)',
    'plat users:disable dev@example.com',
  ).action((e) => setUserDisabled(e, true, context));
  command('users:enable <email>', 'enable a disabled user again (admins only)').action((e) =>
    setUserDisabled(e, false, context),
  );
  command('users:tokens <email>', "list a user's tokens, to revoke one with plat tokens:revoke ID (admins only)")
    .option(...JSON_FLAG)
    .action((e, o) => listUserTokens(e, o, context));
}
