import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { LABELS, SWARM_LABELS } from '@plat/core';
import { describe, expect, it } from 'vitest';
import { DYNO_LOG_CONFIG, PIDS_LIMIT } from '../container-options.js';
import { DYNO_USER, SIZES } from '../dyno-spec.js';
import {
  DRAIN_EXEC_SHIM,
  DRAIN_S,
  DRAIN_SHIM,
  HEALTH_SCRIPT,
  HEALTH_SHELL,
  healthCheck,
  mappedHostConfig,
  pinnedTo,
  type ServiceInput,
  serviceSpec,
  specHash,
  templateDyno,
} from './service-spec.js';

const SECOND_NS = 1_000_000_000;

function input(overrides: Partial<ServiceInput> = {}): ServiceInput {
  return {
    instance: 'i1',
    app: 'shop',
    appId: 'app-0001',
    release: {
      id: 'rel-7',
      version: 7,
      image: 'sha256:abc',
      config: { SECRET: 'x' },
      processTypes: { web: 'gunicorn app:app', worker: 'python worker.py', release: 'migrate' },
      commit: '1a2b3c4',
    },
    type: 'web',
    quantity: 3,
    size: 'basic',
    graceSeconds: 10,
    publish: { mode: 'host' },
    ...overrides,
  };
}

function envOf(spec: ReturnType<typeof serviceSpec>): Record<string, string> {
  const container = (spec.TaskTemplate as { ContainerSpec: { Env: string[] } }).ContainerSpec;
  return Object.fromEntries(
    container.Env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function containerOf(spec: ReturnType<typeof serviceSpec>) {
  return (spec.TaskTemplate as { ContainerSpec: Record<string, unknown> }).ContainerSpec;
}

describe('serviceSpec', () => {
  it("names the service by app and type and runs the formation's quantity", () => {
    const spec = serviceSpec(input());
    expect(spec.Name).toBe('plat-i1-shop-web');
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(serviceSpec(input({ quantity: 0 })).Mode).toEqual({ Replicated: { Replicas: 0 } });
  });

  it('runs the release like a dyno container, hardened the same way', () => {
    const container = containerOf(serviceSpec(input()));
    expect(container.Image).toBe('sha256:abc');
    // Args keep the image's ENTRYPOINT, as a container's Cmd does; a web task holds SIGTERM back to drain.
    expect(container.Args).toEqual(['/bin/sh', '-c', DRAIN_SHIM, 'plat-dyno', 'gunicorn app:app']);
    expect(container.Command).toBeUndefined();
    expect(container.User).toBe(DYNO_USER);
    expect(container.CapabilityDrop).toEqual(['ALL']);
    expect(container.Privileges).toEqual({ NoNewPrivileges: true });
    expect(container.Init).toBe(true);
    expect(container.StopGracePeriod).toBe(10 * SECOND_NS);
    const task = serviceSpec(input()).TaskTemplate as Record<string, unknown>;
    expect(task.LogDriver).toEqual({ Name: DYNO_LOG_CONFIG.Type, Options: DYNO_LOG_CONFIG.Config });
    expect(task.Networks).toEqual([{ Target: 'plat-i1-app-0001' }]);
  });

  it("keeps the image's own command when the process has none", () => {
    const spec = serviceSpec(input({ release: { ...input().release, processTypes: { web: '' } } }));
    expect(containerOf(spec).Args).toBeUndefined();
    expect(containerOf(spec).Command).toBeUndefined();
  });

  it("runs the image's own ENTRYPOINT and CMD inside the drain shim for a web process with no command", () => {
    const own = ['/entry.sh', '/bin/sh', '-c', 'exec python3 /srv/server.py --port $PORT'];
    const spec = serviceSpec(input({ release: { ...input().release, processTypes: { web: '' } }, imageCommand: own }));
    // Command replaces the ENTRYPOINT, which is therefore passed on as the shim's first argument.
    expect(containerOf(spec).Command).toEqual(['/bin/sh', '-c', DRAIN_EXEC_SHIM, 'plat-dyno']);
    expect(containerOf(spec).Args).toEqual(own);
    // A worker with no command runs the image as it is: nothing to drain.
    const worker = serviceSpec(
      input({ type: 'worker', release: { ...input().release, processTypes: { worker: '' } }, imageCommand: own }),
    );
    expect(containerOf(worker).Command).toBeUndefined();
    expect(containerOf(worker).Args).toBeUndefined();
    // A Procfile command wins over the image's.
    expect(containerOf(serviceSpec(input({ imageCommand: own }))).Command).toBeUndefined();
  });

  it("limits memory, CPU and pids by the dyno's size and reserves a quarter of the memory", () => {
    const task = serviceSpec(input({ size: 'performance' })).TaskTemplate as { Resources: unknown };
    expect(task.Resources).toEqual({
      Limits: { MemoryBytes: SIZES.performance!.memoryBytes, NanoCPUs: 2 * SECOND_NS, Pids: PIDS_LIMIT },
      Reservations: { MemoryBytes: SIZES.performance!.memoryBytes / 4 },
    });
    const basic = serviceSpec(input()).TaskTemplate as { Resources: { Limits: { NanoCPUs: number } } };
    expect(basic.Resources.Limits.NanoCPUs).toBe(SECOND_NS / 2);
  });

  it("gives each task its dyno name and id from Swarm's templates, with the release's config and metadata", () => {
    const env = envOf(serviceSpec(input({ herokuMetadata: true })));
    expect(env).toMatchObject({
      DYNO: 'web.{{.Task.Slot}}',
      PORT: '5000',
      SECRET: 'x',
      WEB_CONCURRENCY: '2',
      PLAT_RELEASE_VERSION: 'v7',
      PLAT_SLUG_COMMIT: '1a2b3c4',
      PLAT_DYNO_ID: '{{.Task.ID}}',
      HEROKU_DYNO_ID: '{{.Task.ID}}',
    });
    expect(envOf(serviceSpec(input({ type: 'worker' }))).DYNO).toBe('worker.{{.Task.Slot}}');
  });

  it('labels the service and its containers as dynos are, with the release, but no per-dyno labels', () => {
    const spec = serviceSpec(input());
    const expected = {
      [LABELS.instance]: 'i1',
      [LABELS.app]: 'shop',
      [LABELS.appId]: 'app-0001',
      [LABELS.release]: 'rel-7',
      [LABELS.version]: '7',
      [LABELS.process]: 'web',
    };
    expect(containerOf(spec).Labels).toEqual(expected);
    expect(spec.Labels).toEqual({ ...expected, [SWARM_LABELS.spec]: specHash(spec) });
    expect(templateDyno(input()).labels[LABELS.dyno]).toBeUndefined();
  });

  it('health-checks web tasks every second with the 60 s boot window; other types are not checked', () => {
    expect(containerOf(serviceSpec(input())).HealthCheck).toEqual({
      Test: ['CMD', '/bin/sh', '-c', HEALTH_SHELL, 'health', HEALTH_SCRIPT],
      Interval: SECOND_NS,
      Timeout: 3 * SECOND_NS,
      Retries: 3,
      StartPeriod: 60 * SECOND_NS,
    });
    expect(containerOf(serviceSpec(input({ type: 'worker' }))).HealthCheck).toBeUndefined();
  });

  it('rolls out one task at a time, new before old, rolling back on failure; restarts any exit with a delay', () => {
    const spec = serviceSpec(input());
    expect(spec.UpdateConfig).toMatchObject({
      Parallelism: 1,
      Order: 'start-first',
      FailureAction: 'rollback',
      Monitor: 5 * SECOND_NS,
    });
    expect(spec.RollbackConfig).toMatchObject({ Parallelism: 1, Order: 'start-first' });
    expect((spec.TaskTemplate as { RestartPolicy: unknown }).RestartPolicy).toEqual({
      Condition: 'any',
      Delay: 5 * SECOND_NS,
      MaxAttempts: 0,
    });
  });

  it('publishes the web dyno port on the routing mesh or per task, and nothing for other types', () => {
    expect(serviceSpec(input({ publish: { mode: 'ingress', port: 30123 } })).EndpointSpec).toEqual({
      Mode: 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: 5000, PublishedPort: 30123, PublishMode: 'ingress' }],
    });
    expect(serviceSpec(input()).EndpointSpec).toEqual({
      Mode: 'dnsrr',
      Ports: [{ Protocol: 'tcp', TargetPort: 5000, PublishMode: 'host' }],
    });
    expect(serviceSpec(input({ type: 'worker', publish: { mode: 'host' } })).EndpointSpec).toEqual({ Mode: 'dnsrr' });
    expect(() => serviceSpec(input({ publish: undefined }))).toThrow(/publish mode/);
  });

  it('pins to a node by constraint and forces new tasks on a restart generation', () => {
    const task = serviceSpec(input({ constraints: [pinnedTo('node-b')], generation: 2 })).TaskTemplate as {
      Placement: unknown;
      ForceUpdate: number;
    };
    expect(task.Placement).toEqual({ Constraints: ['node.hostname==node-b'] });
    expect(task.ForceUpdate).toBe(2);
    expect(() => pinnedTo('b; rm')).toThrow(/hostname/);
  });

  it('hashes equal specs equally and any change differently', () => {
    expect(specHash(serviceSpec(input()))).toBe(specHash(serviceSpec(input())));
    const changed = input({ release: { ...input().release, config: { SECRET: 'y' } } });
    expect(specHash(serviceSpec(changed))).not.toBe(specHash(serviceSpec(input())));
    expect(specHash(serviceSpec(input({ quantity: 4 })))).not.toBe(specHash(serviceSpec(input())));
  });

  it('refuses a process type the release lacks, and container options it cannot map', () => {
    expect(() => serviceSpec(input({ type: 'clock' }))).toThrow(/no process type clock/);
    const host = { Memory: 1, PidsLimit: 1, NetworkMode: 'n', LogConfig: { Type: 'json-file', Config: {} } };
    expect(() => mappedHostConfig({ ...host, Privileged: false })).toThrow(/not mapped.*Privileged/);
    expect(() => mappedHostConfig({ ...host, SecurityOpt: ['seccomp=x'] })).toThrow(/seccomp/);
  });
});

describe('the health check', () => {
  /** Runs the check as Docker would; `path` without bash exercises the node fallback. */
  function check(port: number, path: string): number | null {
    const [, ...command] = healthCheck().Test!;
    return spawnSync(command[0]!, command.slice(1), { env: { PORT: String(port), PATH: path }, timeout: 10_000 })
      .status;
  }

  it('passes while something accepts connections on $PORT and fails once nothing does, with bash or node', async () => {
    const nodeOnly = mkdtempSync(join(tmpdir(), 'health-'));
    symlinkSync(process.execPath, join(nodeOnly, 'node'));
    const withBash = `${nodeOnly}:/usr/bin:/bin`;
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(check(port, withBash)).toBe(0);
      expect(check(port, nodeOnly)).toBe(0);
      await new Promise((resolve) => server.close(resolve));
      expect(check(port, withBash)).not.toBe(0);
      expect(check(port, nodeOnly)).toBe(1);
    } finally {
      rmSync(nodeOnly, { recursive: true, force: true });
    }
  });
});

describe.each([
  { shim: 'the drain shim', args: (command: string) => ['-c', DRAIN_SHIM, 'plat-dyno', command] },
  {
    shim: "the drain shim around an image's own command",
    args: (command: string) => ['-c', DRAIN_EXEC_SHIM, 'plat-dyno', '/bin/sh', '-c', command],
  },
])('$shim', ({ args }) => {
  function runShim(command: string, termAfterMs?: number) {
    return new Promise<{ code: number | null; ms: number; out: string }>((resolve) => {
      const started = Date.now();
      const child = spawn('/bin/sh', args(command), { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk));
      child.stdout.once('data', () => {
        if (termAfterMs !== undefined) setTimeout(() => child.kill('SIGTERM'), termAfterMs);
      });
      child.on('exit', (code) => resolve({ code, ms: Date.now() - started, out }));
    });
  }

  it("keeps the command's exit code", async () => {
    expect((await runShim('exit 3')).code).toBe(3);
  });

  it('hands SIGTERM on after DRAIN_S, the command still serving meanwhile', async () => {
    const result = await runShim('trap "echo term; exit 0" TERM; echo up; while :; do sleep 0.05; done', 0);
    expect(result.out).toBe('up\nterm\n');
    expect(result.code).toBe(0);
    expect(result.ms).toBeGreaterThanOrEqual(DRAIN_S * 1000);
  });
});

describe("the drain shim around an image's own command", () => {
  it('runs the vector as given: no word is split, expanded or quoted again', () => {
    const vector = ['printf', '%s|', 'a b', '$HOME', "it's", '*'];
    const result = spawnSync('/bin/sh', ['-c', DRAIN_EXEC_SHIM, 'plat-dyno', ...vector], { timeout: 10_000 });
    expect(result.stdout.toString()).toBe("a b|$HOME|it's|*|");
    expect(result.status).toBe(0);
  });
});
