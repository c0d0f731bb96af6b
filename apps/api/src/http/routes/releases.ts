import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AppParamsSchema,
  BuildParamsSchema,
  BuildSchema,
  BuildWithOutputSchema,
  PlatError,
  ReleaseParamsSchema,
  ReleaseSchema,
  RollbackSchema,
} from '@plat/core';
import type { Platform } from '../../platform.js';
import { presentRelease, rollback } from '../../services/releases.js';
import { audit } from '../../services/audit.js';
import { findBuild, listBuilds, type BuildRow } from '../../store/builds.js';
import { findRelease, latestRelease, listReleases } from '../../store/releases.js';
import { errors } from '../error-responses.js';

function presentBuild(build: BuildRow) {
  return {
    id: build.id,
    status: build.status,
    source_commit: build.source_commit,
    buildpack: build.buildpack,
    image: build.image,
    process_types: build.process_types,
    output: build.output,
    timings: build.timings ?? null,
    created_at: build.created_at.toISOString(),
    updated_at: build.updated_at.toISOString(),
  };
}

export const releaseRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;

  app.get(
    '/v1/apps/:app/builds',
    {
      schema: {
        tags: ['builds'],
        summary: "The app's builds, newest first",
        params: AppParamsSchema,
        response: { 200: Type.Array(BuildSchema), ...errors(403, 404) },
      },
    },
    async (request) => (await listBuilds(sql, request.appRow.id)).map(presentBuild),
  );

  app.get(
    '/v1/apps/:app/builds/:build',
    {
      schema: {
        tags: ['builds'],
        summary: 'One build, with its full output',
        params: BuildParamsSchema,
        response: { 200: BuildWithOutputSchema, ...errors(403, 404) },
      },
    },
    async (request) => {
      const row = request.appRow;
      const build = await findBuild(sql, row.id, request.params.build);
      if (!build) throw new PlatError('not_found', `Couldn't find build ${request.params.build} of ${row.name}.`);
      return presentBuild(build);
    },
  );

  app.get(
    '/v1/apps/:app/releases',
    {
      schema: {
        tags: ['releases'],
        summary: "The app's releases, newest first",
        params: AppParamsSchema,
        response: { 200: Type.Array(ReleaseSchema), ...errors(403, 404) },
      },
    },
    async (request) => {
      const row = request.appRow;
      const current = await latestRelease(sql, row.id);
      return (await listReleases(sql, row.id)).map((release) => presentRelease(release, row, current?.id));
    },
  );

  app.get(
    '/v1/apps/:app/releases/:release',
    {
      schema: {
        tags: ['releases'],
        summary: 'One release, by version (3, v3) or id',
        params: ReleaseParamsSchema,
        response: { 200: ReleaseSchema, ...errors(403, 404) },
      },
    },
    async (request) => {
      const row = request.appRow;
      const release = await findRelease(sql, row.id, request.params.release);
      if (!release) throw new PlatError('not_found', `Couldn't find release ${request.params.release} of ${row.name}.`);
      return presentRelease(release, row, (await latestRelease(sql, row.id))?.id);
    },
  );

  app.post(
    '/v1/apps/:app/releases',
    {
      schema: {
        tags: ['releases'],
        summary: "Roll back: a new release with that release's image and config",
        params: AppParamsSchema,
        body: RollbackSchema,
        response: { 201: ReleaseSchema, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { release: ref } = request.body;
      const release = await platform.releases.run(row.name, () => rollback(platform, row, ref));
      await audit(platform, row, request.user!, 'release.rollback', { to: String(ref), version: release.version });
      return reply.code(201).send(presentRelease(release, row, release.id));
    },
  );
};
