import type Docker from 'dockerode';
import { instanceFilter, isInstanceContainer, LABELS } from '@plat/core';
import type { DynoDeath } from '../runtime.js';
import { dynoOf } from './task-dyno.js';

/** How soon the Docker events stream is reopened after it ends: doubling, capped. */
const REOPEN_BACKOFF = { initialMs: 500, capMs: 15_000 } as const;

/** A `die` event, as Docker's events stream has it on one line. */
export function toDeath(line: string): DynoDeath {
  const event = JSON.parse(line) as { id: string; Actor?: { Attributes?: Record<string, string> } };
  const attributes = event.Actor?.Attributes ?? {};
  return {
    id: event.id,
    app: attributes[LABELS.app] ?? '',
    dyno: dynoOf(attributes),
    releaseId: attributes[LABELS.release] ?? '',
    oneOff: Boolean(attributes[LABELS.oneOff]),
    exitCode: Number(attributes.exitCode ?? -1),
    name: attributes.name ?? '',
    ...(attributes[LABELS.sandbox] || attributes[LABELS.buildSandbox] ? { sandbox: true } : {}),
  };
}

type EventStream = NodeJS.ReadableStream & { destroy(): void };

/**
 * Calls onDie for every container of this instance that exits; returns a
 * function that stops watching. When the stream ends or fails (dockerd
 * restarted), it is reopened with backoff and onReopen runs: deaths while
 * it was closed went unseen, so the caller reconciles.
 */
export async function watchDeaths(
  docker: Docker,
  instance: string,
  handlers: { onDie: (death: DynoDeath) => void; onReopen: () => void },
): Promise<() => void> {
  let stopped = false;
  let current: EventStream | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delayMs: number = REOPEN_BACKOFF.initialMs;
  const open = async () => {
    const stream = (await docker.getEvents({
      filters: { type: ['container'], event: ['die'], label: [instanceFilter(instance)] },
    })) as unknown as EventStream;
    if (stopped) return stream.destroy();
    current = stream;
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        const death = toDeath(line);
        // A build step's container can carry an image's plat. labels: only containers this platd named count.
        if (isInstanceContainer(instance, death.name)) handlers.onDie(death);
      }
    });
    let closed = false;
    const reopen = () => {
      if (closed) return;
      closed = true;
      stream.destroy();
      if (!stopped) schedule();
    };
    stream.on('end', reopen);
    stream.on('close', reopen);
    stream.on('error', reopen);
  };
  const schedule = () => {
    retry = setTimeout(() => {
      open().then(
        () => {
          delayMs = REOPEN_BACKOFF.initialMs;
          if (!stopped) handlers.onReopen();
        },
        () => {
          delayMs = Math.min(delayMs * 2, REOPEN_BACKOFF.capMs);
          if (!stopped) schedule();
        },
      );
    }, delayMs);
    retry.unref();
  };
  await open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    current?.destroy();
  };
}
