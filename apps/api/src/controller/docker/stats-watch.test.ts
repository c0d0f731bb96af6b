/**
 * watchStats over a stand-in for dockerode: its events stream and stats
 * requests are in the test's hands.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { LABELS } from '@plat/core';
import { describe, expect, it, vi } from 'vitest';
import { watchStats } from './stats.js';

const labels = {
  [LABELS.instance]: 'i1',
  [LABELS.app]: 'hello',
  [LABELS.appId]: 'a1',
  [LABELS.process]: 'web',
  [LABELS.dyno]: 'web.1',
};

function fakeDocker(options: { listFails?: () => boolean } = {}) {
  const events: PassThrough[] = [];
  const statsRequests: { id: string; resolve: (stream: PassThrough) => void; stream: PassThrough }[] = [];
  const docker = {
    getEvents: async () => {
      const stream = new PassThrough();
      events.push(stream);
      return stream;
    },
    listContainers: async () => {
      if (options.listFails?.()) throw new Error('docker is busy');
      return [];
    },
    getContainer: (id: string) => ({
      stats: () =>
        new Promise<PassThrough>((resolve) => {
          const stream = new PassThrough();
          statsRequests.push({ id, resolve: () => resolve(stream), stream });
        }),
    }),
  };
  return { docker: docker as unknown as Docker, events, statsRequests };
}

const event = (action: string, id = 'c1') =>
  `${JSON.stringify({ id, Action: action, Actor: { Attributes: labels } })}\n`;

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('watching container stats', () => {
  it('skips an events line that is not JSON instead of throwing', async () => {
    const fake = fakeDocker();
    const stop = await watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} });
    expect(() => fake.events[0]!.write('{not json\n')).not.toThrow();
    fake.events[0]!.write(event('start'));
    await settle();
    expect(fake.statsRequests.map((request) => request.id)).toEqual(['c1']);
    stop();
  });

  it('destroys the stats stream of a container that died and restarted while its request was pending', async () => {
    const fake = fakeDocker();
    const stop = await watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} });
    const events = fake.events[0]!;
    events.write(event('start'));
    await settle();
    events.write(event('die'));
    events.write(event('start'));
    await settle();
    expect(fake.statsRequests).toHaveLength(2);
    const [first, second] = fake.statsRequests;
    first!.resolve(first!.stream);
    second!.resolve(second!.stream);
    await settle();
    expect(first!.stream.destroyed).toBe(true);
    expect(second!.stream.destroyed).toBe(false);
    stop();
    expect(second!.stream.destroyed).toBe(true);
  });

  it('keeps one events stream when listing the running containers fails after it opened', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let failures = 1;
      const fake = fakeDocker({ listFails: () => failures-- > 0 });
      await expect(watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} })).rejects.toThrow(
        'docker is busy',
      );
      // The failed start leaves nothing open.
      expect(fake.events.map((stream) => stream.destroyed)).toEqual([true]);

      failures = 0;
      const stop = await watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} });
      // The events stream ends: the retry opens one, and listing fails once there.
      failures = 1;
      fake.events[1]!.destroy();
      await settle();
      await vi.advanceTimersByTimeAsync(2_000);
      await settle();
      expect(fake.events).toHaveLength(3);
      await vi.advanceTimersByTimeAsync(2_000);
      await settle();
      // The listing's retry replaced the stream it opened: one open at a time.
      expect(fake.events.filter((stream) => !stream.destroyed)).toHaveLength(1);
      expect(fake.events).toHaveLength(4);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(fake.events).toHaveLength(4);
      stop();
      expect(fake.events.filter((stream) => !stream.destroyed)).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
