import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { providers } from '../addons/registry.js';
import {
  ADDON_LOG_CONFIG,
  addonContainerOptions,
  addonVolumeOptions,
  attachedOneOffOptions,
  DYNO_LOG_CONFIG,
  dynoContainerOptions,
  SANDBOX_MEMORY_BYTES,
  sandboxContainerOptions,
  type AddonContainerSpec,
} from './container-options.js';
import { desiredDynos, DYNO_PORT, oneOffDyno, SIZES } from './dyno-spec.js';

const release = {
  id: 'rel-2',
  version: 2,
  image: 'plat/i1-hello:abc',
  config: { SECRET: 's3' },
  processTypes: { web: 'gunicorn app:app', worker: 'rq worker' },
};
const formation = [
  { type: 'web', quantity: 1, size: 'basic' },
  { type: 'worker', quantity: 1, size: 'performance' },
];
const app = { instance: 'i1', app: 'hello', appId: 'app-1', release };
const [web, worker] = desiredDynos({ ...app, formation });
const oneOff = oneOffDyno({ ...app, kind: 'run', command: 'sh', number: 4711 });

const addon: AddonContainerSpec = {
  addon: {
    id: '11111111-aaaa-4aaa-8aaa-111111111111',
    name: 'postgres-calm-1234',
    app_id: 'app-1',
    legacy_names: false,
  },
  app: 'hello',
  network: 'plat-i1-app-1',
  image: 'plat/addon-postgres:0123456789ab',
  env: { POSTGRES_PASSWORD: 'pw' },
  dataPath: '/var/lib/plat-postgres',
  healthcheck: ['pg_isready'],
  memoryBytes: 256 * 1024 ** 2,
};

/** The options every container Plat starts must carry, whoever's code it runs. */
function expectConfined(options: Docker.ContainerCreateOptions, memoryBytes: number): void {
  const host = options.HostConfig!;
  expect(host.CapDrop).toEqual(['ALL']);
  expect(host.CapAdd).toBeUndefined();
  expect(host.SecurityOpt).toEqual(['no-new-privileges']);
  expect(host.PidsLimit).toBe(512);
  expect(host.Memory).toBe(memoryBytes);
  // No swap beyond the memory limit.
  expect(host.MemorySwap).toBe(memoryBytes);
  expect(host.Privileged).toBeUndefined();
  expect(host.Binds).toBeUndefined();
  expect(host.PidMode).toBeUndefined();
  expect(host.IpcMode).toBeUndefined();
  expect(host.NetworkMode).not.toBe('host');
  expect(host.Devices).toBeUndefined();
}

describe('dyno containers', () => {
  const options = dynoContainerOptions(web!, 'a1b2c3');

  it('drop every capability, gain no privilege and stay within their size', () => {
    expectConfined(options, SIZES.basic!.memoryBytes);
    expect(options.HostConfig!.CpuShares).toBe(SIZES.basic!.cpuShares);
    expectConfined(dynoContainerOptions(worker!, 'a1b2c3'), SIZES.performance!.memoryBytes);
  });

  it('run as the non-root dyno user, whatever the image says, with an init reaping zombies', () => {
    expect(options.User).toBe('1000:1000');
    expect(options.HostConfig!.Init).toBe(true);
  });

  it('publish nothing on the host, web dynos included: the router reaches them on their network', () => {
    for (const dyno of [options, dynoContainerOptions(worker!, 'a1b2c3')]) {
      expect(dyno.ExposedPorts).toBeUndefined();
      expect(dyno.HostConfig!.PortBindings).toBeUndefined();
      expect(dyno.HostConfig!.PublishAllPorts).toBeUndefined();
    }
    expect(options.Env).toContain(`PORT=${DYNO_PORT}`);
  });

  it("join only the app's own network", () => {
    expect(options.HostConfig!.NetworkMode).toBe('plat-i1-app-1');
    expect(options.NetworkingConfig).toBeUndefined();
  });

  it("join their sandbox's network namespace when one stands ready, and say which", () => {
    const joined = dynoContainerOptions(web!, 'a1b2c3', 'f00d');
    expect(joined.HostConfig!.NetworkMode).toBe('container:f00d');
    expect(joined.Labels).toEqual({ ...web!.labels, 'plat.in-sandbox': 'f00d' });
    expectConfined(joined, SIZES.basic!.memoryBytes);
    expect({ ...joined, Labels: {}, HostConfig: { ...joined.HostConfig, NetworkMode: '' } }).toEqual({
      ...options,
      Labels: {},
      HostConfig: { ...options.HostConfig, NetworkMode: '' },
    });
  });

  it('carry the labels platd finds them by', () => {
    expect(options.Labels).toEqual(web!.labels);
    expect(options.Labels).toMatchObject({
      'plat.instance': 'i1',
      'plat.app-id': 'app-1',
      'plat.dyno': 'web.1',
      'plat.key': web!.key,
    });
  });

  it('bound their logs', () => {
    expect(options.HostConfig!.LogConfig).toEqual(DYNO_LOG_CONFIG);
    expect(DYNO_LOG_CONFIG).toEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } });
  });

  it('have a name unique per start, a command line run by the shell inside, and the environment', () => {
    expect(options.name).toBe(`${web!.containerName}-a1b2c3`);
    expect(options.Image).toBe('plat/i1-hello:abc');
    expect(options.Cmd).toEqual(['/bin/sh', '-c', 'gunicorn app:app']);
    expect(options.Env).toContain('SECRET=s3');
    expect(options.Env).toContain(`PORT=${DYNO_PORT}`);
  });

  it("run the image's own command when the dyno has none", () => {
    expect(dynoContainerOptions({ ...web!, command: '' }, 'x').Cmd).toBeUndefined();
  });

  it('have no writable mount of the host and no read-only root (apps write to their own filesystem)', () => {
    expect(options.HostConfig!.Mounts).toBeUndefined();
    expect(options.HostConfig!.ReadonlyRootfs).toBeUndefined();
    expect(options.HostConfig!.Tmpfs).toBeUndefined();
  });
});

describe('one-off containers', () => {
  it('are confined as dynos are, publish nothing, and carry the one-off label', () => {
    const options = dynoContainerOptions(oneOff, 'ffffff');
    expectConfined(options, SIZES.standard!.memoryBytes);
    expect(options.User).toBe('1000:1000');
    expect(options.HostConfig!.PortBindings).toBeUndefined();
    expect(options.HostConfig!.NetworkMode).toBe('plat-i1-app-1');
    expect(options.Labels).toMatchObject({ 'plat.one-off': 'true', 'plat.dyno': 'run.4711' });
    expect(options.HostConfig!.LogConfig).toEqual(DYNO_LOG_CONFIG);
  });

  it('attached to a session keep every security option, with stdin and a terminal added', () => {
    const plain = dynoContainerOptions(oneOff, 'ffffff');
    const attached = attachedOneOffOptions(oneOff, 'ffffff', { tty: true });
    expect(attached.HostConfig).toEqual(plain.HostConfig);
    expect(attached.User).toBe('1000:1000');
    expect(attached).toMatchObject({
      Tty: true,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    expect(attached.Env).toEqual([...plain.Env!, 'TERM=xterm-256color']);
  });

  it('attached without a terminal keep the environment as it is', () => {
    const attached = attachedOneOffOptions(oneOff, 'ffffff', { tty: false });
    expect(attached.Tty).toBe(false);
    expect(attached.Env).toEqual(dynoContainerOptions(oneOff, 'ffffff').Env);
  });
});

describe('add-on containers', () => {
  const options = addonContainerOptions('i1', addon);

  it('drop every capability, gain no privilege and stay within their plan', () => {
    expectConfined(options, addon.memoryBytes);
  });

  it("are on the app's network only, under the add-on's name, and publish nothing on the host", () => {
    expect(options.HostConfig!.NetworkMode).toBe('plat-i1-app-1');
    const endpoints = { 'plat-i1-app-1': { Aliases: ['postgres-calm-1234'] } };
    expect(options.NetworkingConfig).toEqual({ EndpointsConfig: endpoints });
    expect(options.HostConfig!.PortBindings).toBeUndefined();
    expect(options.ExposedPorts).toBeUndefined();
  });

  it("carry the add-on's name as their own hostname, which their TLS certificate names", () => {
    expect(options.Hostname).toBe('postgres-calm-1234');
  });

  it("run as their image's non-root service user: nothing overrides it, and every provider's image sets one", () => {
    expect(options.User).toBeUndefined();
    for (const provider of providers.filter((p) => p.service)) {
      const service = provider.service!(
        provider.plans[0]!,
        provider.credentials(() => 'secret'),
      );
      const users = service.image.dockerfile.split('\n').filter((line) => line.startsWith('USER '));
      expect(users.at(-1), provider.name).toMatch(/^USER (?!root$|0$)\S+$/);
    }
  });

  it('are named and labelled by the add-on row, and keep their data on its volume', () => {
    expect(options.name).toBe(`plat-i1-addon-${addon.addon.id}`);
    expect(options.Labels).toEqual({
      'plat.instance': 'i1',
      'plat.app': 'hello',
      'plat.app-id': 'app-1',
      'plat.addon': 'postgres-calm-1234',
      'plat.addon-id': addon.addon.id,
    });
    const volume = { Type: 'volume', Source: options.name, Target: '/var/lib/plat-postgres' };
    expect(options.HostConfig!.Mounts).toEqual([volume]);
    expect(addonVolumeOptions('i1', addon)).toEqual({ Name: options.name, Labels: options.Labels });
  });

  it('mount nothing when they keep no data', () => {
    const { dataPath: _dataPath, ...memoryOnly } = addon;
    expect(addonContainerOptions('i1', memoryOnly).HostConfig!.Mounts).toBeUndefined();
  });

  it('restart with Docker, bound their logs, and are healthy once their check passes', () => {
    expect(options.HostConfig!.RestartPolicy).toEqual({ Name: 'unless-stopped' });
    expect(options.HostConfig!.LogConfig).toEqual(ADDON_LOG_CONFIG);
    expect(ADDON_LOG_CONFIG).toEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    expect(options.Healthcheck).toEqual({
      Test: ['CMD', 'pg_isready'],
      Interval: 500_000_000,
      Timeout: 5_000_000_000,
      Retries: 120,
      StartPeriod: 0,
    });
    expect(options.Env).toEqual(['POSTGRES_PASSWORD=pw']);
  });
});

describe('network sandboxes', () => {
  const options = sandboxContainerOptions({
    network: 'plat-i1-app-1',
    suffix: 'c0ffee',
    labels: { 'plat.instance': 'i1', 'plat.app': 'hello', 'plat.app-id': 'app-1' },
  });

  it("stand on the app's own network, named and labelled as the instance's, by that network", () => {
    expect(options.name).toBe('plat-i1-app-1-sandbox-c0ffee');
    expect(options.HostConfig!.NetworkMode).toBe('plat-i1-app-1');
    expect(options.Labels).toEqual({
      'plat.instance': 'i1',
      'plat.app': 'hello',
      'plat.app-id': 'app-1',
      'plat.sandbox': 'plat-i1-app-1',
    });
    // Not a dyno: nothing that lists dynos finds it.
    expect(options.Labels!['plat.dyno']).toBeUndefined();
  });

  it("for an app's builds, stand on the build network labelled as a build sandbox, never as a dyno's", () => {
    const labels = { 'plat.instance': 'i1', 'plat.app': 'hello', 'plat.app-id': 'app-1' };
    const build = sandboxContainerOptions({ network: 'plat-i1--builds', suffix: 'c0ffee', labels, forBuilds: true });
    expect(build.name).toBe('plat-i1--builds-sandbox-c0ffee');
    expect(build.HostConfig!.NetworkMode).toBe('plat-i1--builds');
    expect(build.Labels).toEqual({ ...labels, 'plat.build-sandbox': 'plat-i1--builds' });
    expect(build.HostConfig).toEqual({ ...options.HostConfig, NetworkMode: 'plat-i1--builds' });
  });

  it('run only sleep, as the dyno user, confined tighter than any dyno, on a read-only root', () => {
    expect(options.Image).toBe('plat/stack:latest');
    expect(options.Cmd).toEqual(['sleep', 'infinity']);
    expect(options.User).toBe('1000:1000');
    const host = options.HostConfig!;
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect(host.Memory).toBe(SANDBOX_MEMORY_BYTES);
    expect(host.MemorySwap).toBe(SANDBOX_MEMORY_BYTES);
    expect(host.PidsLimit).toBe(8);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Init).toBe(true);
    expect(host.PortBindings).toBeUndefined();
    expect(host.Binds).toBeUndefined();
    expect(host.Mounts).toBeUndefined();
    expect(host.Privileged).toBeUndefined();
    expect(host.LogConfig).toEqual(DYNO_LOG_CONFIG);
  });
});
