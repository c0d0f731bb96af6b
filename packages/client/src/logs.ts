import type { LogQuery } from '@plat/core';
import { appPath, queryString, type Transport } from './transport.js';

/** The API's log query with numbers and booleans where it takes their text: `{ lines: 500, tail: true }`. */
export type LogsQuery = Omit<LogQuery, 'lines' | 'tail'> & { lines?: number; tail?: boolean };

/** The app's log lines as text, as they arrive; abort the signal to stop a tail. */
export function logsResource(http: Transport) {
  return (app: string, query: LogsQuery = {}, signal?: AbortSignal): Promise<AsyncIterable<string>> => {
    const { lines, source, dyno, tail } = query;
    return http.stream(
      appPath(app, `/logs${queryString({ lines, source, dyno, tail: tail ? 'true' : undefined })}`),
      signal,
    );
  };
}
