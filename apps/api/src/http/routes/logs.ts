import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppParamsSchema, LogQuerySchema } from '@plat/core';
import { formatLogLine, matches, type LogFilter, type LogLine } from '../../logs/log-line.js';
import { TailWriter } from '../../logs/tail-writer.js';
import type { Platform } from '../../platform.js';
import { errors } from '../error-responses.js';

export const logRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/logs',
    {
      schema: {
        tags: ['logs'],
        summary: "The app's recent log lines as text, optionally followed by new ones (tail=true)",
        params: AppParamsSchema,
        querystring: LogQuerySchema,
        response: { 200: Type.String(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { query } = request;
      const filter: LogFilter = {
        ...(query.source ? { source: query.source } : {}),
        ...(query.dyno ? { dyno: query.dyno } : {}),
      };
      const recent = await platform.logs.recent(row, { lines: Number(query.lines ?? 100), filter });
      const text = recent.map((line) => `${formatLogLine(line)}\n`).join('');
      if (query.tail !== 'true') return reply.type('text/plain; charset=utf-8').send(text);

      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      reply.raw.write(text);
      // A client that stops reading loses lines, not platd memory.
      const notice = (dropped: number): LogLine => ({
        at: new Date(),
        source: 'plat',
        dyno: 'logs',
        line: `${dropped} lines dropped: this client read too slowly`,
      });
      const tail = new TailWriter(reply.raw, { notice: (dropped) => `${formatLogLine(notice(dropped))}\n` });
      const unsubscribe = platform.logs.subscribe(row, (line: LogLine) => {
        if (matches(line, filter)) tail.write(`${formatLogLine(line)}\n`);
      });
      request.raw.on('close', unsubscribe);
    },
  );
};
