import validRange from 'semver/ranges/valid.js';
import type { ProcessTypes } from '@plat/core';
import type { Source } from '../source.js';
import type { Buildpack } from './buildpack.js';
import { nodeReleases } from './node-registry.js';
import { chooseNode, NODE_PACKAGE } from './node-version.js';

export { STACK_NODE_VERSION } from './node-version.js';

/** Where a Node.js from the registry goes: outside /app, owned by root, so the app cannot change its runtime. */
const NODE_PREFIX = '/opt/node';

interface PackageJson {
  scripts?: Record<string, string>;
  engines?: { node?: unknown };
  devDependencies?: unknown;
}

/**
 * What runs after the code is in: the build script, and the pruning of
 * devDependencies when there are any (npm takes ~0.3 s to find nothing to
 * prune). One step, not two: each uncached step after the code costs a
 * container and a commit per push; none at all when there is nothing to do.
 */
function afterCode(pkg: PackageJson): string[] {
  const dev = pkg.devDependencies;
  const commands = [
    ...(pkg.scripts?.build ? ['npm run build'] : []),
    ...(typeof dev === 'object' && dev !== null && Object.keys(dev).length > 0 ? ['npm prune --omit=dev'] : []),
  ];
  return commands.length > 0 ? [`RUN ${commands.join(' && ')}`] : [];
}

function readPackage(source: Source): PackageJson {
  try {
    return JSON.parse(source.read('package.json') ?? '{}') as PackageJson;
  } catch {
    return {};
  }
}

/**
 * Installs one Node.js release from the registry in its own layer, keyed on
 * the exact version, so later pushes reuse it. npm checks the tarball against
 * the registry's sha512; --ignore-scripts because the package is the binary.
 * Running it proves the binary works on the stack (its shared libraries).
 */
function installNode(version: string): string[] {
  const cache = '/tmp/plat-npm-cache';
  return [
    'USER root',
    `RUN npm install --global --prefix ${NODE_PREFIX} --ignore-scripts --cache ${cache} ${NODE_PACKAGE}@${version}` +
      ` && rm -rf ${cache} && ${NODE_PREFIX}/bin/node --version`,
    'USER dyno',
    // Native addons compile against this Node's headers, which the package ships.
    `ARG NPM_CONFIG_NODEDIR=${NODE_PREFIX}/lib/node_modules/${NODE_PACKAGE}`,
  ];
}

function lockfile(source: Source): 'package-lock.json' | 'npm-shrinkwrap.json' | undefined {
  if (source.has('package-lock.json')) return 'package-lock.json';
  if (source.has('npm-shrinkwrap.json')) return 'npm-shrinkwrap.json';
  return undefined;
}

export const node: Buildpack = {
  name: 'node',
  label: 'Node.js',
  detect: (source) => source.has('package.json'),
  async lookup(source) {
    const wanted = readPackage(source).engines?.node;
    // The registry is asked only when there is a range to resolve.
    if (typeof wanted !== 'string' || !validRange(wanted)) return {};
    return { nodeReleases: await nodeReleases() };
  },
  plan(source, context) {
    const pkg = readPackage(source);
    const lock = lockfile(source);
    const notes: string[] = [];
    if (source.read('package.json') !== undefined && Object.keys(pkg).length === 0) {
      notes.push('warning: package.json is not valid JSON');
    }
    const runtime = chooseNode(pkg.engines?.node, context.nodeReleases);
    notes.push(runtime.note);
    notes.push(
      lock ? `Installing dependencies with npm ci (${lock})` : 'Installing dependencies with npm install (no lockfile)',
    );
    const hasStart = Boolean(pkg.scripts?.start) || source.has('server.js');
    const processTypes: ProcessTypes = hasStart ? { web: 'npm start' } : {};
    return {
      dockerfile: [
        `FROM ${context.stackImage}`,
        'WORKDIR /app',
        `COPY ${context.caBundle} /etc/plat/build-ca.crt`,
        // Build-time only: npm trusts the host's CA bundle (TLS-intercepting proxies).
        'ARG NPM_CONFIG_CAFILE=/etc/plat/build-ca.crt',
        'ARG NPM_CONFIG_UPDATE_NOTIFIER=false',
        'ARG NPM_CONFIG_FUND=false',
        'ARG NPM_CONFIG_AUDIT=false',
        ...(runtime.install ? installNode(runtime.install) : []),
        `ENV PATH=/app/node_modules/.bin:${runtime.install ? `${NODE_PREFIX}/bin:` : ''}/usr/local/bin:/usr/bin:/bin`,
        // Dependencies first, keyed on the manifest and lockfile only.
        `COPY --chown=dyno:dyno package.json ${lock ?? ''} /app/`.replace('  ', ' '),
        lock ? 'RUN npm ci --include=dev' : 'RUN npm install --include=dev',
        // Before the code, so that it is a cached step (after it, it would cost a container and a commit
        // per push); the build script sees it too, as on Heroku.
        'ENV NODE_ENV=production',
        // The stack's user (installNode returns to it); said before the code so that it is cached.
        'USER dyno',
        'COPY --chown=dyno:dyno . /app',
        ...afterCode(pkg),
        '',
      ].join('\n'),
      processTypes,
      notes,
      generated: true,
    };
  },
};
