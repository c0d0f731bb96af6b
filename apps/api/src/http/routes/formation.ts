import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PlatError } from '@plat/core';
import { appForUser } from '../../auth/access.js';
import type { ObservedDyno } from '../../controller/reconcile.js';
import type { Platform } from '../../platform.js';
import { listFormation, restartDynos, updateFormation } from '../../services/formation.js';
import { currentRelease } from '../../store/releases.js';
import { AppParams, Dyno, DynoParams, errors, FormationBatch, FormationEntry } from '../schemas.js';

function presentDyno(dyno: ObservedDyno, crash: { restarts: number; starting: boolean }) {
  return {
    id: dyno.id.slice(0, 12),
    name: dyno.dyno,
    type: dyno.process,
    state: !dyno.running ? ('crashed' as const) : crash.starting ? ('starting' as const) : ('up' as const),
    restarts: crash.restarts,
    release: dyno.version,
    command: dyno.command,
    exit_code: dyno.exitCode ?? null,
    created_at: dyno.createdAt.toISOString(),
  };
}

export const formationRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;

  app.get(
    '/v1/apps/:app/formation',
    { schema: { tags: ['formation'], summary: 'Process types with their quantity and size', params: AppParams, response: { 200: Type.Array(FormationEntry), ...errors(403, 404) } } },
    async (request) => listFormation(platform, await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app)),
  );

  app.patch(
    '/v1/apps/:app/formation',
    {
      schema: {
        tags: ['formation'],
        summary: 'Scale and resize process types in one batch',
        params: AppParams,
        body: FormationBatch,
        response: { 200: Type.Array(FormationEntry), ...errors(403, 404, 422) },
      },
    },
    async (request) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      const body = request.body as Static<typeof FormationBatch>;
      return updateFormation(platform, row, request.user!, Array.isArray(body) ? body : body.updates);
    },
  );

  app.get(
    '/v1/apps/:app/dynos',
    { schema: { tags: ['dynos'], summary: "The app's dynos and their state", params: AppParams, response: { 200: Type.Array(Dyno), ...errors(403, 404) } } },
    async (request) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      const dynos = await platform.controller.dynos(row.name);
      return dynos.map((dyno) => presentDyno(dyno, platform.controller.crashInfo(row.name, dyno))).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    },
  );

  app.post(
    '/v1/apps/:app/dynos',
    {
      schema: {
        tags: ['dynos'],
        summary: 'Run a one-off dyno in the background (plat run:detached); its output goes to the logs',
        description: 'For an attached session, GET /v1/apps/:app/dynos/attach?command=... with Upgrade: plat-attach.',
        params: AppParams,
        body: Type.Object({ command: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: false }),
        response: { 202: Type.Object({ name: Type.String(), command: Type.String() }), ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      const { command } = request.body as { command: string };
      const release = await currentRelease(sql, row.id);
      if (!release?.image) throw new PlatError('invalid_params', `${row.name} has no release to run yet: git push platform main first.`);
      const { dyno } = await platform.controller.startDetached(row, release, command);
      return reply.code(202).send({ name: dyno, command });
    },
  );

  app.delete(
    '/v1/apps/:app/dynos',
    { schema: { tags: ['dynos'], summary: 'Restart all dynos (web dynos roll without downtime)', params: AppParams, response: { 202: Type.Object({}), ...errors(403, 404) } } },
    async (request, reply) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      await restartDynos(platform, row, request.user!);
      return reply.code(202).send({});
    },
  );

  app.delete(
    '/v1/apps/:app/dynos/:dyno',
    { schema: { tags: ['dynos'], summary: 'Restart one process type (web) or one dyno (web.2)', params: DynoParams, response: { 202: Type.Object({}), ...errors(403, 404) } } },
    async (request, reply) => {
      const { app: name, dyno } = request.params as Static<typeof DynoParams>;
      const row = await appForUser(sql, request.user!, name);
      const dynos = await platform.controller.dynos(row.name);
      if (!dynos.some((d) => d.dyno === dyno || d.process === dyno)) throw new PlatError('not_found', `Couldn't find dyno ${dyno} of ${row.name}.`);
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
        params: DynoParams,
        response: { 202: Type.Object({}), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const { app: name, dyno } = request.params as Static<typeof DynoParams>;
      const row = await appForUser(sql, request.user!, name);
      const matching = (await platform.controller.dynos(row.name)).filter((d) => d.dyno === dyno || d.process === dyno);
      if (matching.length === 0) throw new PlatError('not_found', `Couldn't find dyno ${dyno} of ${row.name}.`);
      for (const d of matching) await platform.controller.restartDyno(row.name, d.dyno);
      return reply.code(202).send({});
    },
  );
};
