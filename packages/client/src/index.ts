import { accountResource, tokensResource, usersResource } from './account.js';
import { auditEventsResource, collaboratorsResource } from './access.js';
import { addonsResource } from './addons.js';
import { backupTargetResource } from './backup-target.js';
import { adminResource, openapiResource, statusResource } from './platform.js';
import { platArchiveResource } from './plat-archive.js';
import { appsResource, configVarsResource } from './apps.js';
import { appSetupsResource, featuresResource } from './app-setups.js';
import { certsResource } from './certs.js';
import { domainsResource } from './domains.js';
import { drainsResource } from './drains.js';
import { dynosResource, formationResource } from './formation.js';
import { keysResource, sshResource } from './keys.js';
import { logsResource } from './logs.js';
import { metricsResource } from './metrics.js';
import { nodesResource } from './nodes.js';
import { eventsResource, logStreamResource } from './events.js';
import { pgResource } from './pg.js';
import { redisResource } from './redis.js';
import { pipelinesResource, reviewAppsResource } from './pipelines.js';
import { buildsResource, releasesResource } from './releases.js';
import { schedulerResource } from './scheduler.js';
import { Transport, type ClientOptions } from './transport.js';
import { webhooksResource } from './webhooks.js';
import { alertsResource } from './alerts.js';

export type { ClientOptions, JsonAnswer, JsonSender } from './transport.js';
export type { LogsQuery } from './logs.js';
export type { MetricsOptions } from './metrics.js';
export { parseSse, type SseMessage, type StreamedLogLine } from './events.js';
export { sshGitUrl } from './keys.js';

/**
 * A typed client for the Plat HTTP API (/v1), one member per resource
 * (`client.apps.list()`, `client.pg.capture(app)`). It is the only place
 * that knows the API's paths; shapes are @plat/core's. `plat run` and
 * `pg:psql` sessions are in `@plat/client/attach` (Node only).
 */
export class PlatClient {
  readonly apiUrl: string;
  readonly apps;
  readonly appSetups;
  readonly features;
  readonly configVars;
  readonly releases;
  readonly builds;
  readonly formation;
  readonly dynos;
  readonly logs;
  readonly metrics;
  readonly events;
  readonly logStream;
  readonly domains;
  readonly drains;
  readonly certs;
  readonly webhooks;
  readonly alerts;
  readonly addons;
  readonly pg;
  readonly redis;
  readonly scheduler;
  readonly pipelines;
  readonly reviewApps;
  readonly collaborators;
  readonly auditEvents;
  readonly account;
  readonly tokens;
  readonly keys;
  readonly ssh;
  readonly users;
  readonly admin;
  readonly backupTarget;
  readonly platArchive;
  readonly nodes;
  readonly status;
  readonly openapi;

  constructor(options: ClientOptions) {
    const http = new Transport(options);
    this.apiUrl = http.apiUrl;
    this.apps = appsResource(http);
    this.appSetups = appSetupsResource(http);
    this.features = featuresResource(http);
    this.configVars = configVarsResource(http);
    this.releases = releasesResource(http);
    this.builds = buildsResource(http);
    this.formation = formationResource(http);
    this.dynos = dynosResource(http);
    this.logs = logsResource(http);
    this.metrics = metricsResource(http);
    this.events = eventsResource(http);
    this.logStream = logStreamResource(http);
    this.domains = domainsResource(http);
    this.drains = drainsResource(http);
    this.certs = certsResource(http);
    this.webhooks = webhooksResource(http);
    this.alerts = alertsResource(http);
    this.addons = addonsResource(http);
    this.pg = pgResource(http);
    this.redis = redisResource(http);
    this.scheduler = schedulerResource(http);
    this.pipelines = pipelinesResource(http);
    this.reviewApps = reviewAppsResource(http);
    this.collaborators = collaboratorsResource(http);
    this.auditEvents = auditEventsResource(http);
    this.account = accountResource(http);
    this.tokens = tokensResource(http);
    this.keys = keysResource(http);
    this.ssh = sshResource(http);
    this.users = usersResource(http);
    this.admin = adminResource(http);
    this.backupTarget = backupTargetResource(http);
    this.platArchive = platArchiveResource(http);
    this.nodes = nodesResource(http);
    this.status = statusResource(http);
    this.openapi = openapiResource(http);
  }
}
