/**
 * Stand-ins for what watchStats reads (controller/docker/stats.ts): dockerode's
 * listings, one-shot stats replies and events stream, in a test's hands, and
 * the host's kernel files.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { LABELS } from '@plat/core';

export const labelsOf = (dyno: string) => ({
  [LABELS.instance]: 'i1',
  [LABELS.app]: 'hello',
  [LABELS.appId]: 'a1',
  [LABELS.process]: 'web',
  [LABELS.dyno]: dyno,
});

interface StatsRequest {
  id: string;
  options: Record<string, unknown>;
  reply: (document: object) => void;
  fail: (error: Error) => void;
}

/** Docker with `listed` running; each stats request waits for the test unless `autoReply` answers it. */
export function fakeStatsDocker(
  options: {
    listFails?: () => boolean;
    autoReply?: (id: string, call: number) => object | Error | undefined;
    /** Containers answer inspect with a pid (their init process): 100 + their number, unless `pidOf` says. */
    inspect?: boolean;
    pidOf?: (id: string) => number;
    eventsFail?: () => boolean;
  } = {},
) {
  let inspects = 0;
  const events: PassThrough[] = [];
  const requests: StatsRequest[] = [];
  const calls = new Map<string, number>();
  let listed: string[] = [];
  let lists = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  const docker = {
    getEvents: async () => {
      if (options.eventsFail?.()) throw new Error('docker is restarting');
      const stream = new PassThrough();
      events.push(stream);
      return stream;
    },
    listContainers: async () => {
      lists += 1;
      if (options.listFails?.()) throw new Error('docker is busy');
      return listed.map((id) => ({
        Id: id,
        Names: [`/plat-i1-app-web-${id}`],
        Labels: labelsOf(`web.${id.slice(1)}`),
      }));
    },
    getContainer: (id: string) => ({
      ...(options.inspect
        ? {
            inspect: async () => {
              inspects += 1;
              return { State: { Pid: options.pidOf?.(id) ?? 100 + Number(id.slice(1)) } };
            },
          }
        : {}),
      stats: (requestOptions: Record<string, unknown>) =>
        new Promise<object>((resolve, reject) => {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          let settled = false;
          // Answered on a later turn, as a socket would: the requests of a round overlap meanwhile.
          const settle = (answer: () => void) =>
            setImmediate(() => {
              if (settled) return;
              settled = true;
              inFlight -= 1;
              answer();
            });
          const call = (calls.get(id) ?? 0) + 1;
          calls.set(id, call);
          const request: StatsRequest = {
            id,
            options: requestOptions,
            reply: (document) => settle(() => resolve(document)),
            fail: (error) => settle(() => reject(error)),
          };
          (requestOptions.abortSignal as AbortSignal).addEventListener('abort', () =>
            request.fail(new Error('aborted')),
          );
          requests.push(request);
          const auto = options.autoReply?.(id, call);
          if (auto instanceof Error) request.fail(auto);
          else if (auto) request.reply(auto);
        }),
    }),
  };
  return {
    docker: docker as unknown as Docker,
    events,
    requests,
    list: (ids: string[]) => {
      listed = ids;
    },
    lists: () => lists,
    inspects: () => inspects,
    mostInFlight: () => mostInFlight,
  };
}

/**
 * The host's kernel files for containers by their pids (`owners`, a pid's
 * container): cgroup v2, a folder per container. Each reading of a
 * container's cpu.stat is 1 s of CPU more, and of /proc/stat 10 s of host CPU
 * more over 2 CPUs. Counts the reads of each path.
 */
export function fakeHost(owners: Map<number, string>) {
  const reads = new Map<string, number>();
  const files = (path: string): string => {
    const count = (reads.get(path) ?? 0) + 1;
    reads.set(path, count);
    if (path === 'proc/stat') {
      const cpu = `${count * 500} 0 ${count * 500} 0 0 0 0 0 0 0`;
      return `cpu  ${cpu}\ncpu0 ${cpu}\ncpu1 0 0 0 0 0 0 0 0 0 0\nintr 1 2 3\n`;
    }
    const [, pid, file] = /^proc\/(\d+)\/(.*)$/.exec(path) ?? [];
    if (pid) {
      const owner = owners.get(Number(pid));
      if (!owner) throw new Error(`ENOENT: ${path}`);
      if (file === 'cgroup') return owner.startsWith('c') ? `0::/docker/${owner}\n` : '0::/user.slice\n';
      if (file === 'net/dev') return 'Inter-|\n face |\n  eth0: 10 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0\n';
    }
    const [, , name] = /^sys\/fs\/cgroup\/docker\/(c\d+)\/(.*)$/.exec(path) ?? [];
    if (name === 'cpu.stat') return `usage_usec ${count * 1e6}\nuser_usec 1\n`;
    if (name === 'memory.current') return '200\n';
    if (name === 'memory.max') return '1000\n';
    if (name === 'memory.stat') return 'inactive_file 50\n';
    throw new Error(`ENOENT: ${path}`);
  };
  return { files, reads: (path: string) => reads.get(path) ?? 0 };
}
