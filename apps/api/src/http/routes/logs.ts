import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { appForUser } from '../../auth/access.js';
import { formatLogLine, matches, type LogFilter, type LogLine } from '../../logs/log-line.js';
import { TailWriter } from '../../logs/tail-writer.js';
import type { Platform } from '../../platform.js';
import { AppParams, errors } from '../schemas.js';

const LogQuery = Type.Object({
  lines: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,3}|10000)$', description: 'How many recent lines, 1 to 10000 (default 100)' })),
  source: Type.Optional(Type.Union([Type.Literal('app'), Type.Literal('router'), Type.Literal('build'), Type.Literal('plat')])),
  dyno: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,30}(\\.\\d{1,5})?$', description: 'web, or web.1' })),
  tail: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'Keep the response open and stream new lines' })),
});

export const logRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/logs',
    {
      schema: {
        tags: ['logs'],
        summary: "The app's recent log lines as text, optionally followed by new ones (tail=true)",
        params: AppParams,
        querystring: LogQuery,
        response: { 200: Type.String(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const row = await appForUser(platform.sql, request.user!, (request.params as Static<typeof AppParams>).app);
      const query = request.query as Static<typeof LogQuery>;
      const filter: LogFilter = { ...(query.source ? { source: query.source } : {}), ...(query.dyno ? { dyno: query.dyno } : {}) };
      const recent = await platform.logs.recent(row, { lines: Number(query.lines ?? 100), filter });
      const text = recent.map((line) => `${formatLogLine(line)}\n`).join('');
      if (query.tail !== 'true') return reply.type('text/plain; charset=utf-8').send(text);

      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      reply.raw.write(text);
      // A client that stops reading loses lines, not platd memory.
      const tail = new TailWriter(reply.raw, {
        notice: (dropped) => `${formatLogLine({ at: new Date(), source: 'plat', dyno: 'logs', line: `${dropped} lines dropped: this client read too slowly` })}\n`,
      });
      const unsubscribe = platform.logs.subscribe(row, (line: LogLine) => {
        if (matches(line, filter)) tail.write(`${formatLogLine(line)}\n`);
      });
      request.raw.on('close', unsubscribe);
    },
  );
};
