import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { APP_EVENT_DOC, AppParamsSchema, LogQuerySchema, PlatError } from '@plat/core';
import { SseStream } from '../../events/sse-stream.js';
import { streamAccess } from '../../events/stream-access.js';
import { type LogLine, logFilterOf, matches } from '../../logs/log-line.js';
import type { Platform } from '../../platform.js';
import { errors } from '../error-responses.js';

const SSE_RESPONSE = {
  description: 'text/event-stream',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
};

const LogStreamQuerySchema = Type.Omit(LogQuerySchema, ['tail']);

/** Live lines kept while the recent ones are still being sent; past this, they are counted and dropped. */
export const MAX_BACKLOG_LINES = 1_000;

const gone = () => new PlatError('not_found', 'The app is gone, or your access to it.');

/** Live views: the app's events and its log, as Server-Sent Events. */
export const eventRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  // Before the server waits for connections to end: a hijacked stream would hold it open.
  app.addHook('preClose', async () => platform.streams.closeAll());

  app.get(
    '/v1/apps/:app/events',
    {
      schema: {
        tags: ['events'],
        summary: "The app's events as they happen (Server-Sent Events)",
        description: APP_EVENT_DOC,
        params: AppParamsSchema,
        response: { 200: SSE_RESPONSE, ...errors(403, 404, 429) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const slot = platform.streams.reserve(request.user!.id);
      reply.hijack();
      const stream = new SseStream(reply.raw, { stillAllowed: streamAccess(platform, request) });
      slot.attach(stream);
      if (stream.closed) return;
      const unsubscribe = platform.events.subscribe(
        row.id,
        (event) => stream.send({ id: event.seq, event: event.type, data: JSON.stringify(event) }),
        () => stream.close(),
      );
      stream.onClose(unsubscribe);
    },
  );

  app.get(
    '/v1/apps/:app/log-stream',
    {
      schema: {
        tags: ['logs'],
        summary: "The app's recent log lines, then new ones as they come (Server-Sent Events)",
        description:
          'Each line is `event: log` with `data:` JSON `{ "at", "source", "dyno", "line" }`; a comment every 15 s ' +
          'keeps the stream alive; a client that reads too slowly is disconnected.',
        params: AppParamsSchema,
        querystring: LogStreamQuerySchema,
        response: { 200: SSE_RESPONSE, ...errors(403, 404, 429) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { query } = request;
      const filter = logFilterOf(query);
      const stillAllowed = streamAccess(platform, request);
      const slot = platform.streams.reserve(request.user!.id);
      let recent: LogLine[];
      try {
        recent = await platform.logs.recent(row, { lines: Number(query.lines ?? 100), filter });
        // Destroyed or renamed (and the name maybe taken) during the wait: nothing may be followed by that name.
        if (!(await stillAllowed())) throw gone();
      } catch (error) {
        slot.release();
        throw error;
      }
      reply.hijack();
      const stream = new SseStream(reply.raw, { stillAllowed });
      slot.attach(stream);
      if (stream.closed) return;
      const message = (line: LogLine) => ({
        event: 'log',
        data: JSON.stringify({ ...line, at: line.at.toISOString() }),
      });
      // Live lines wait (bounded) while the recent ones go out at the pace the client reads them.
      let backlog: LogLine[] | undefined = [];
      let dropped = 0;
      const unsubscribe = platform.logs.subscribe(
        row,
        (line) => {
          if (!matches(line, filter)) return;
          if (!backlog) {
            if (!stream.send(message(line))) stream.close();
          } else if (backlog.length < MAX_BACKLOG_LINES) backlog.push(line);
          else dropped += 1;
        },
        () => stream.close(),
      );
      stream.onClose(unsubscribe);
      for (const line of recent) if (!(await stream.sendWhenReady(message(line)))) return;
      while (backlog.length > 0) {
        const waiting: LogLine[] = backlog;
        backlog = [];
        for (const line of waiting) if (!(await stream.sendWhenReady(message(line)))) return;
        // Said as it happens: on a busy app this loop may run as long as the stream does.
        if (dropped > 0) stream.comment(`${dropped} lines dropped: they came faster than this client read`);
        dropped = 0;
      }
      backlog = undefined;
    },
  );
};
