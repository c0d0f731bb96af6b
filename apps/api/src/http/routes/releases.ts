import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PlatError } from '@plat/core';
import { appForUser } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { presentRelease, rollback } from '../../services/releases.js';
import { audit } from '../../services/audit.js';
import { findBuild, listBuilds, type BuildRow } from '../../store/builds.js';
import { currentRelease, findRelease, listReleases } from '../../store/releases.js';
import { AppParams, Build, BuildWithOutput, errors, Release, Rollback } from '../schemas.js';

const ReleaseParams = Type.Object({ app: Type.String({ maxLength: 100 }), release: Type.String({ maxLength: 64 }) });
const BuildParams = Type.Object({ app: Type.String({ maxLength: 100 }), build: Type.String({ maxLength: 64 }) });

function presentBuild(build: BuildRow) {
  return {
    id: build.id,
    status: build.status,
    source_commit: build.source_commit,
    buildpack: build.buildpack,
    image: build.image,
    process_types: build.process_types,
    output: build.output,
    created_at: build.created_at.toISOString(),
    updated_at: build.updated_at.toISOString(),
  };
}

export const releaseRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;

  app.get(
    '/v1/apps/:app/builds',
    { schema: { tags: ['builds'], summary: "The app's builds, newest first", params: AppParams, response: { 200: Type.Array(Build), ...errors(403, 404) } } },
    async (request) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      return (await listBuilds(sql, row.id)).map(presentBuild);
    },
  );

  app.get(
    '/v1/apps/:app/builds/:build',
    { schema: { tags: ['builds'], summary: 'One build, with its full output', params: BuildParams, response: { 200: BuildWithOutput, ...errors(403, 404) } } },
    async (request) => {
      const params = request.params as Static<typeof BuildParams>;
      const row = await appForUser(sql, request.user!, params.app);
      const build = await findBuild(sql, row.id, params.build);
      if (!build) throw new PlatError('not_found', `Couldn't find build ${params.build} of ${row.name}.`);
      return presentBuild(build);
    },
  );

  app.get(
    '/v1/apps/:app/releases',
    { schema: { tags: ['releases'], summary: "The app's releases, newest first", params: AppParams, response: { 200: Type.Array(Release), ...errors(403, 404) } } },
    async (request) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      const current = await currentRelease(sql, row.id);
      return (await listReleases(sql, row.id)).map((release) => presentRelease(release, row, current?.id));
    },
  );

  app.get(
    '/v1/apps/:app/releases/:release',
    { schema: { tags: ['releases'], summary: 'One release, by version (3, v3) or id', params: ReleaseParams, response: { 200: Release, ...errors(403, 404) } } },
    async (request) => {
      const params = request.params as Static<typeof ReleaseParams>;
      const row = await appForUser(sql, request.user!, params.app);
      const release = await findRelease(sql, row.id, params.release);
      if (!release) throw new PlatError('not_found', `Couldn't find release ${params.release} of ${row.name}.`);
      return presentRelease(release, row, (await currentRelease(sql, row.id))?.id);
    },
  );

  app.post(
    '/v1/apps/:app/releases',
    {
      schema: {
        tags: ['releases'],
        summary: "Roll back: a new release with that release's image and config",
        params: AppParams,
        body: Rollback,
        response: { 201: Release, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      const { release: ref } = request.body as Static<typeof Rollback>;
      const release = await platform.releases.run(row.name, () => rollback(platform, row, ref));
      await audit(platform, row, request.user!, 'release.rollback', { to: String(ref), version: release.version });
      return reply.code(201).send(presentRelease(release, row, release.id));
    },
  );
};
