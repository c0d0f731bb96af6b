import { timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PlatError, type BuildEvent } from '@plat/core';
import type { Platform } from '../../platform.js';
import { deploy, internalFailure } from '../../services/deploy.js';
import { findApp } from '../../store/apps.js';

function secretMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const Commit = Type.String({ pattern: '^[0-9a-f]{40,64}$' });
/** old and ref: where the branch pointed before the push; a push that waited while it moved is refused. */
const PushQuery = Type.Object({
  commit: Commit,
  old: Type.Optional(Commit),
  ref: Type.Optional(Type.String({ pattern: '^refs/heads/(main|master)$' })),
});

/** Each line behind "> ", so that no line of the deploy's output can pass for the verdict. */
function printed(text: string): string {
  return text
    .split('\n')
    .map((line) => `> ${line}\n`)
    .join('');
}

/**
 * The answer the pre-receive hook (apps/builder/hooks/pre-receive) reads: lines to print
 * behind "> ", then the verdict, "result ok" or "result failed", on a line of its own.
 */
export function pushAnswer(event: BuildEvent): string {
  if (event.type === 'line') return printed(event.text);
  return event.ok ? 'result ok\n' : `${printed(` !     ${event.message}`)}result failed\n`;
}

/**
 * Called by the pre-receive hook with the pushed tree; streams the deploy's
 * progress back as it happens (pushAnswer), ending with the verdict.
 * Only git processes started by this platd know the secret.
 */
export const pushRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.addContentTypeParser('application/x-tar', (_request, payload, done) => done(null, payload));

  app.post(
    '/internal/apps/:app/pushes',
    {
      schema: {
        params: Type.Object({ app: Type.String() }),
        querystring: PushQuery,
      },
    },
    async (request, reply) => {
      if (!secretMatches(request.headers['x-plat-hook-secret'] as string | undefined, platform.hookSecret)) {
        throw new PlatError('forbidden', 'Only git hooks started by this platd may deploy.');
      }
      const receivedAt = performance.now();
      const { app: name } = request.params;
      const { commit, old, ref } = request.query;
      const appRow = await findApp(platform.sql, name);
      if (!appRow) throw new PlatError('not_found', `Couldn't find that app: ${name}`);

      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
      const emit = (event: BuildEvent) => reply.raw.write(pushAnswer(event));
      try {
        const source = request.body as Readable;
        const { version } = await deploy(platform, {
          app: appRow,
          commit,
          source,
          emit,
          receivedAt,
          ...(old && ref ? { expected: { ref, old } } : {}),
        });
        const url = `http://${platform.controller.hostnameOf(name)}:${platform.settings.routerPort}/`;
        emit({ type: 'line', text: `       ${url} deployed to Plat` });
        emit({ type: 'result', ok: true, release: version, url });
      } catch (error) {
        const message =
          error instanceof PlatError ? error.message : internalFailure(platform, `deploy of ${name}`, error);
        emit({ type: 'result', ok: false, message });
      }
      reply.raw.end();
    },
  );
};
