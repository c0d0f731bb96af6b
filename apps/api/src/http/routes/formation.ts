import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AppParamsSchema,
  DetachedRunSchema,
  DynoParamsSchema,
  DynoSchema,
  FormationBatchSchema,
  FormationEntrySchema,
  OneOffCreateSchema,
  PlatError,
} from '@plat/core';
import type { ObservedDyno } from '../../controller/reconcile.js';
import type { Platform } from '../../platform.js';
import { webAsleep } from '../../controller/eco-sleep-plan.js';
import { listFormation, restartDynos, updateFormation } from '../../services/formation.js';
import { formation, type AppRow } from '../../store/apps.js';
import { sleepingSince } from '../../store/eco-sleep.js';
import { currentRelease } from '../../store/releases.js';
import { errors } from '../error-responses.js';

/** A Swarm task on its way up (its health check not passed yet): starting, not crashed. */
const STARTING_TASK_STATES = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

function presentDyno(dyno: ObservedDyno, crash: { restarts: number; starting: boolean }) {
  const starting = crash.starting || STARTING_TASK_STATES.has(dyno.state ?? '');
  return {
    id: dyno.id.slice(0, 12),
    name: dyno.dyno,
    type: dyno.process,
    state: starting ? ('starting' as const) : !dyno.running ? ('crashed' as const) : ('up' as const),
    restarts: crash.restarts,
    release: dyno.version,
    command: dyno.command,
    exit_code: dyno.exitCode ?? null,
    created_at: dyno.createdAt.toISOString(),
    ...(dyno.node ? { node: dyno.node } : {}),
  };
}

/** An eco app's sleeping web dynos, as plat ps shows them: no container, the time they went to sleep. */
async function sleepingDynos(platform: Platform, app: AppRow) {
  const since = await sleepingSince(platform.sql, app.id);
  const rows = await formation(platform.sql, app.id);
  const release = since && webAsleep(rows, since) ? await currentRelease(platform.sql, app.id) : undefined;
  if (!since || !release) return [];
  const web = rows.find((row) => row.type === 'web')!;
  return Array.from({ length: web.quantity }, (_, index) => ({
    id: '',
    name: `web.${index + 1}`,
    type: 'web',
    state: 'sleeping' as const,
    restarts: 0,
    release: release.version,
    command: release.process_types.web ?? '',
    exit_code: null,
    created_at: since.toISOString(),
    sleeping_since: since.toISOString(),
  }));
}

export const formationRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;
  // `web` names a process type, `web.2` one dyno of it.
  const matching = async (appName: string, dyno: string) =>
    (await platform.controller.dynos(appName)).filter((d) => d.dyno === dyno || d.process === dyno);

  app.get(
    '/v1/apps/:app/formation',
    {
      schema: {
        tags: ['formation'],
        summary: 'Process types with their quantity and size',
        params: AppParamsSchema,
        response: { 200: Type.Array(FormationEntrySchema), ...errors(403, 404) },
      },
    },
    async (request) => listFormation(platform, request.appRow),
  );

  app.patch(
    '/v1/apps/:app/formation',
    {
      schema: {
        tags: ['formation'],
        summary: 'Scale and resize process types in one batch',
        params: AppParamsSchema,
        body: FormationBatchSchema,
        response: { 200: Type.Array(FormationEntrySchema), ...errors(403, 404, 422) },
      },
    },
    async (request) => {
      const { body } = request;
      return updateFormation(platform, request.appRow, request.user!, Array.isArray(body) ? body : body.updates);
    },
  );

  app.get(
    '/v1/apps/:app/dynos',
    {
      schema: {
        tags: ['dynos'],
        summary: "The app's dynos and their state",
        params: AppParamsSchema,
        response: { 200: Type.Array(DynoSchema), ...errors(403, 404) },
      },
    },
    async (request) => {
      const { name } = request.appRow;
      const dynos = await platform.controller.dynos(name);
      // A web dyno still stopping as the app goes to sleep is shown asleep already.
      const sleeping = await sleepingDynos(platform, request.appRow);
      const asleep = new Set(sleeping.map((dyno) => dyno.name));
      return [
        ...dynos
          .filter((dyno) => !asleep.has(dyno.dyno))
          .map((dyno) => presentDyno(dyno, platform.controller.crashInfo(name, dyno))),
        ...sleeping,
      ].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    },
  );

  app.post(
    '/v1/apps/:app/dynos',
    {
      schema: {
        tags: ['dynos'],
        summary: 'Run a one-off dyno in the background (plat run:detached); its output goes to the logs',
        description: 'For an attached session, GET /v1/apps/:app/dynos/attach?command=... with Upgrade: plat-attach.',
        params: AppParamsSchema,
        body: OneOffCreateSchema,
        response: { 202: DetachedRunSchema, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { command } = request.body;
      const release = await currentRelease(sql, row.id);
      if (!release?.image) {
        throw new PlatError('invalid_params', `${row.name} has no release to run yet: git push platform main first.`);
      }
      const { dyno } = await platform.controller.oneOffs.startDetached(row, release, command);
      return reply.code(202).send({ name: dyno, command });
    },
  );

  app.delete(
    '/v1/apps/:app/dynos',
    {
      schema: {
        tags: ['dynos'],
        summary: 'Restart all dynos (web dynos roll without downtime)',
        params: AppParamsSchema,
        response: { 202: Type.Object({}), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      await restartDynos(platform, request.appRow, request.user!);
      return reply.code(202).send({});
    },
  );

  app.delete(
    '/v1/apps/:app/dynos/:dyno',
    {
      schema: {
        tags: ['dynos'],
        summary: 'Restart one process type (web) or one dyno (web.2)',
        params: DynoParamsSchema,
        response: { 202: Type.Object({}), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { dyno } = request.params;
      if ((await matching(row.name, dyno)).length === 0) {
        throw new PlatError('not_found', `Couldn't find dyno ${dyno} of ${row.name}.`);
      }
      await restartDynos(platform, row, request.user!, dyno);
      return reply.code(202).send({});
    },
  );

  app.post(
    '/v1/apps/:app/dynos/:dyno/actions/stop',
    {
      schema: {
        tags: ['dynos'],
        summary: 'Stop a dyno or process type now; the formation starts fresh ones (scale to 0 to keep them down)',
        params: DynoParamsSchema,
        response: { 202: Type.Object({}), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { dyno } = request.params;
      const stopping = await matching(row.name, dyno);
      if (stopping.length === 0) throw new PlatError('not_found', `Couldn't find dyno ${dyno} of ${row.name}.`);
      for (const d of stopping) await platform.controller.restartDyno(row.name, d.dyno);
      return reply.code(202).send({});
    },
  );
};
