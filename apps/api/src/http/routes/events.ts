import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { APP_EVENT_DOC, AppParamsSchema, LogQuerySchema } from '@plat/core';
import { SseStream } from '../../events/sse-stream.js';
import { type LogFilter, type LogLine, matches } from '../../logs/log-line.js';
import type { Platform } from '../../platform.js';
import { errors } from '../error-responses.js';

const SSE_RESPONSE = {
  description: 'text/event-stream',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
};

const LogStreamQuerySchema = Type.Omit(LogQuerySchema, ['tail']);

/** Live views: the app's events and its log, as Server-Sent Events. */
export const eventRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/events',
    {
      schema: {
        tags: ['events'],
        summary: "The app's events as they happen (Server-Sent Events)",
        description: APP_EVENT_DOC,
        params: AppParamsSchema,
        response: { 200: SSE_RESPONSE, ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      reply.hijack();
      const stream = new SseStream(reply.raw);
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
        response: { 200: SSE_RESPONSE, ...errors(403, 404) },
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
      reply.hijack();
      const stream = new SseStream(reply.raw);
      const send = (line: LogLine) =>
        stream.send({ event: 'log', data: JSON.stringify({ ...line, at: line.at.toISOString() }) });
      for (const line of recent) send(line);
      const unsubscribe = platform.logs.subscribe(row, (line) => {
        if (matches(line, filter) && !send(line)) stream.close();
      });
      stream.onClose(unsubscribe);
    },
  );
};
