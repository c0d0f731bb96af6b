import type { LogsQuery } from '@plat/client';
import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';

type Source = NonNullable<LogsQuery['source']>;
const SOURCES: Source[] = ['app', 'router', 'build', 'plat'];
const isSource = (source: string): source is Source => (SOURCES as string[]).includes(source);

export interface LogOptions {
  app?: string;
  num?: string;
  tail?: boolean;
  dyno?: string;
  source?: string;
}

/** Prints the app's recent log lines; with --tail, follows new ones until interrupted. */
export async function showLogs(options: LogOptions, context: CommandContext): Promise<void> {
  const lines = options.num === undefined ? 100 : Number(options.num);
  if (!Number.isInteger(lines) || lines < 1 || lines > 10_000)
    throw new PlatError('invalid_params', '-n takes a number of lines from 1 to 10000.');
  const source = options.source || undefined;
  if (source !== undefined && !isSource(source)) {
    throw new PlatError('invalid_params', `--source is one of ${SOURCES.join(', ')}.`);
  }
  const name = await resolveApp(context, options.app);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    const query: LogsQuery = { lines, source, dyno: options.dyno || undefined, tail: Boolean(options.tail) };
    const stream = await context.client().logs(name, query, controller.signal);
    let pending = '';
    for await (const chunk of stream) {
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) context.output.out(line);
    }
    if (pending) context.output.out(pending);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    process.off('SIGINT', stop);
  }
}
