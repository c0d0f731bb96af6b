import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppParamsSchema, LogQuerySchema, PlatError } from '@plat/core';
import { ResponseStream } from '../../events/sse-stream.js';
import { streamAccess } from '../../events/stream-access.js';
import { formatLogLine, logFilterOf, matches, type LogLine } from '../../logs/log-line.js';
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
        response: { 200: Type.String(), ...errors(403, 404, 429) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { query } = request;
      const filter = logFilterOf(query);
      // A tail takes one of the user's live streams (refused with 429 past the limit) before anything is read.
      const slot = query.tail === 'true' ? platform.streams.reserve(request.user!.id) : undefined;
      let text: string;
      try {
        const recent = await platform.logs.recent(row, { lines: Number(query.lines ?? 100), filter });
        text = recent.map((line) => `${formatLogLine(line)}\n`).join('');
        // Destroyed or renamed during the read (and the name maybe taken): nothing may be followed by that name.
        if (slot && !(await streamAccess(platform, request)()))
          throw new PlatError('not_found', 'The app is gone, or your access to it.');
      } catch (error) {
        slot?.release();
        throw error;
      }
      if (!slot) return reply.type('text/plain; charset=utf-8').send(text);

      reply.hijack();
      // Ends when the client leaves (even during the read above), at shutdown, and with a destroy or rename.
      const stream = new ResponseStream(reply.raw);
      slot.attach(stream);
      if (stream.closed) return;
      reply.raw.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        connection: 'close',
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
      const unsubscribe = platform.logs.subscribe(
        row,
        (line: LogLine) => {
          if (matches(line, filter)) tail.write(`${formatLogLine(line)}\n`);
        },
        () => stream.close(),
      );
      stream.onClose(unsubscribe);
    },
  );
};
