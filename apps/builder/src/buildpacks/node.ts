import satisfies from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';
import type { ProcessTypes } from '@plat/core';
import type { Source } from '../source.js';
import type { Buildpack } from './buildpack.js';

/** Node.js in the stack image (Debian bookworm's nodejs package). */
export const STACK_NODE_VERSION = '18.20.4';

interface PackageJson {
  scripts?: Record<string, string>;
  engines?: { node?: string };
}

function readPackage(source: Source): PackageJson {
  try {
    return JSON.parse(source.read('package.json') ?? '{}') as PackageJson;
  } catch {
    return {};
  }
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
  plan(source, context) {
    const pkg = readPackage(source);
    const lock = lockfile(source);
    const notes: string[] = [];
    if (source.read('package.json') !== undefined && Object.keys(pkg).length === 0) notes.push('warning: package.json is not valid JSON');
    const wanted = pkg.engines?.node;
    if (wanted) {
      if (validRange(wanted) && satisfies(STACK_NODE_VERSION, wanted)) notes.push(`engines.node ${wanted}: using Node.js ${STACK_NODE_VERSION}`);
      else notes.push(`warning: engines.node asks for ${wanted}, but the stack has Node.js ${STACK_NODE_VERSION}; building with it anyway`);
    }
    notes.push(lock ? `Installing dependencies with npm ci (${lock})` : 'Installing dependencies with npm install (no lockfile)');
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
        'ENV PATH=/app/node_modules/.bin:/usr/local/bin:/usr/bin:/bin',
        // Dependencies first, keyed on the manifest and lockfile only.
        `COPY --chown=dyno:dyno package.json ${lock ?? ''} /app/`.replace('  ', ' '),
        lock ? 'RUN npm ci --include=dev' : 'RUN npm install --include=dev',
        'COPY --chown=dyno:dyno . /app',
        ...(pkg.scripts?.build ? ['RUN npm run build'] : []),
        'RUN npm prune --omit=dev',
        'ENV NODE_ENV=production',
        'USER dyno',
        '',
      ].join('\n'),
      processTypes,
      notes,
    };
  },
};
