import type Docker from 'dockerode';
import { ADDON_LABELS, instanceFilter, LABELS } from '@plat/core';
import {
  type ContainerStats,
  parseDockerStats,
  type OomKill,
  type StatsSource,
} from '../../metrics/container-stats.js';

/**
 * Docker sends a stats document about a second; one in this many ms is read
 * (one a 10 s tick), the rest dropped undecoded. Receiving the streams is
 * most of the cost (bench/metrics-sampling.ts), so reading fewer saves little.
 */
const READ_EVERY_MS = 9_500;
const REOPEN_MS = 2_000;

type Stream = NodeJS.ReadableStream & { destroy(): void };

export interface StatsHandlers {
  onSample: (stats: ContainerStats) => void;
  onOom: (kill: OomKill) => void;
}

/** A formation dyno or an add-on of this instance, by its labels; one-offs and builds are not sampled. */
export function statsSource(id: string, labels: Record<string, string>): StatsSource | undefined {
  const appId = labels[LABELS.appId];
  const app = labels[LABELS.app];
  if (!appId || !app || labels[LABELS.oneOff]) return undefined;
  const addon = labels[ADDON_LABELS.name];
  if (addon) return { containerId: id, kind: 'addon', appId, app, type: addon, name: addon, releaseId: '' };
  const dyno = labels[LABELS.dyno];
  const process = labels[LABELS.process];
  if (!dyno || !process) return undefined;
  return {
    containerId: id,
    kind: 'dyno',
    appId,
    app,
    type: process,
    name: dyno,
    releaseId: labels[LABELS.release] ?? '',
  };
}

/**
 * Samples this instance's dynos and add-ons: one streaming stats request per
 * running container, opened when Docker reports it started (or when the
 * watch begins) and closed when it dies, and one events stream for those
 * starts, deaths and OOM kills. Each container yields a sample about every
 * 10 s, its CPU measured over that whole interval. Returns a stop function.
 */
export async function watchStats(docker: Docker, instance: string, handlers: StatsHandlers): Promise<() => void> {
  const streams = new Map<string, Stream>();
  let stopped = false;
  let events: Stream | undefined;
  let retry: NodeJS.Timeout | undefined;

  const follow = (source: StatsSource) => {
    if (stopped || streams.has(source.containerId)) return;
    const container = docker.getContainer(source.containerId);
    // Reserved before the request resolves, so a second start event does not open another; a die and a
    // restart meanwhile reserve anew, and the first request's stream, no longer wanted, is destroyed.
    const reserved = { destroy() {} } as Stream;
    streams.set(source.containerId, reserved);
    container.stats({ stream: true }).then(
      (raw) => {
        const stream = raw as unknown as Stream;
        if (stopped || streams.get(source.containerId) !== reserved) return stream.destroy();
        streams.set(source.containerId, stream);
        let pending = '';
        let lastAt = 0;
        let previous: ContainerStats['cpu'] | undefined;
        stream.on('data', (chunk: Buffer) => {
          const now = Date.now();
          // Between reads a whole document is dropped undecoded: sampling 50 containers must stay cheap.
          if (now - lastAt < READ_EVERY_MS && pending === '' && chunk.at(-1) === 0x0a) return;
          pending += chunk.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          const line = lines.filter(Boolean).at(-1);
          if (!line || now - lastAt < READ_EVERY_MS) return;
          lastAt = now;
          let stats: ContainerStats;
          try {
            stats = parseDockerStats(source, JSON.parse(line));
          } catch {
            return;
          }
          // CPU over the whole interval since the last read, not Docker's last second.
          if (previous) stats.precpu = { total: previous.total, system: previous.system };
          previous = stats.cpu;
          handlers.onSample(stats);
        });
        const end = () => {
          if (streams.get(source.containerId) === stream) streams.delete(source.containerId);
        };
        stream.on('end', end);
        stream.on('close', end);
        stream.on('error', end);
      },
      () => {
        if (streams.get(source.containerId) === reserved) streams.delete(source.containerId);
      },
    );
  };
  const unfollow = (id: string) => {
    streams.get(id)?.destroy();
    streams.delete(id);
  };

  const followRunning = async () => {
    const running = await docker.listContainers({ filters: { label: [instanceFilter(instance)] } });
    for (const info of running) {
      const source = statsSource(info.Id, info.Labels ?? {});
      if (source) follow(source);
    }
  };

  const openEvents = async () => {
    const stream = (await docker.getEvents({
      filters: { type: ['container'], event: ['start', 'die', 'oom'], label: [instanceFilter(instance)] },
    })) as unknown as Stream;
    if (stopped) return stream.destroy();
    // One events stream at a time: a retry after the listing failed replaces the one still open.
    const previous = events;
    events = stream;
    previous?.destroy();
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        let event: { id: string; status?: string; Action?: string; Actor?: { Attributes?: Record<string, string> } };
        try {
          event = JSON.parse(line);
        } catch {
          // A line Docker garbled (or a proxy cut) is skipped: thrown here, it would end platd.
          continue;
        }
        if (typeof event?.id !== 'string') continue;
        const action = event.Action ?? event.status;
        const source = statsSource(event.id, event.Actor?.Attributes ?? {});
        if (!source) continue;
        if (action === 'start') follow(source);
        else if (action === 'die') unfollow(event.id);
        else if (action === 'oom') handlers.onOom(source);
      }
    });
    let closed = false;
    const reopen = () => {
      if (closed) return;
      closed = true;
      stream.destroy();
      // A stream replaced by a newer one is not reopened.
      if (events !== stream) return;
      events = undefined;
      if (!stopped) schedule();
    };
    stream.on('end', reopen);
    stream.on('close', reopen);
    stream.on('error', reopen);
  };

  // Starts while the events stream was closed went unseen: the running containers are listed again.
  const schedule = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      openEvents()
        .then(followRunning)
        .catch(() => {
          if (!stopped) schedule();
        });
    }, REOPEN_MS);
    retry.unref();
  };

  const stop = () => {
    stopped = true;
    clearTimeout(retry);
    events?.destroy();
    for (const id of [...streams.keys()]) unfollow(id);
  };
  try {
    await openEvents();
    await followRunning();
  } catch (error) {
    stop();
    throw error;
  }
  return stop;
}
