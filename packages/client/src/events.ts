import type { AppEvent } from '@plat/core';
import type { LogsQuery } from './logs.js';
import { appPath, queryString, type Transport } from './transport.js';

/** One Server-Sent Events message: its `event` name (message when none), `id` and joined `data` lines. */
export interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/** Parses a Server-Sent Events stream, chunk by chunk; comments (heartbeats) are skipped. */
export async function* parseSse(chunks: AsyncIterable<string>): AsyncGenerator<SseMessage> {
  let pending = '';
  let message: { event?: string; id?: string; data: string[] } = { data: [] };
  for await (const chunk of chunks) {
    pending += chunk;
    const lines = pending.split(/\r\n|\r|\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (message.data.length > 0)
          yield {
            event: message.event ?? 'message',
            ...(message.id ? { id: message.id } : {}),
            data: message.data.join('\n'),
          };
        message = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') message.data.push(value);
      else if (field === 'event') message.event = value;
      else if (field === 'id') message.id = value;
    }
  }
}

/** The app's live events (releases, builds, scaling, dynos, config, add-ons) until the signal aborts. */
export function eventsResource(http: Transport) {
  return async function* events(app: string, signal?: AbortSignal): AsyncGenerator<AppEvent> {
    for await (const message of parseSse(await http.stream(appPath(app, '/events'), signal)))
      yield JSON.parse(message.data) as AppEvent;
  };
}

/** One log line as `GET /v1/apps/:app/log-stream` sends it. */
export interface StreamedLogLine {
  at: string;
  source: 'app' | 'router' | 'build' | 'plat';
  dyno: string;
  line: string;
}

/** The app's recent log lines, then new ones as they come, until the signal aborts. */
export function logStreamResource(http: Transport) {
  return async function* logStream(
    app: string,
    query: Omit<LogsQuery, 'tail'> = {},
    signal?: AbortSignal,
  ): AsyncGenerator<StreamedLogLine> {
    const { lines, source, dyno } = query;
    const path = appPath(app, `/log-stream${queryString({ lines, source, dyno })}`);
    for await (const message of parseSse(await http.stream(path, signal)))
      if (message.event === 'log') yield JSON.parse(message.data) as StreamedLogLine;
  };
}
