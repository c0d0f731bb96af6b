import { describe, expect, it } from 'vitest';
import { memorySource } from '../source.js';
import { dockerfile } from './dockerfile.js';
import { buildpacks, detectBuildpack, findBuildpack } from './index.js';
import { node } from './node.js';
import { procfileOnly } from './procfile.js';
import { findWsgiEntry, wantsCollectstatic } from './python-wsgi-entry.js';
import { staticSite } from './static.js';

const context = {
  stackImage: 'plat/stack:latest',
  caBundle: '.plat-build/ca-certificates.crt',
  buildDir: '.plat-build',
};
const detected = (files: Record<string, string>) => detectBuildpack(memorySource(files)).name;

describe('detection order', () => {
  it('tries Dockerfile, Python, Node.js, static, then a bare Procfile', () => {
    expect(buildpacks.map((pack) => pack.name)).toEqual(['dockerfile', 'python', 'node', 'static', 'procfile']);
    expect(detected({ Dockerfile: 'FROM x', 'requirements.txt': '' })).toBe('dockerfile');
    expect(detected({ 'requirements.txt': '', 'package.json': '{}' })).toBe('python');
    expect(detected({ 'package.json': '{}', 'index.html': '' })).toBe('node');
    expect(detected({ 'index.html': '' })).toBe('static');
    expect(detected({ 'static.json': '{}', Procfile: 'web: x' })).toBe('static');
    expect(detected({ Procfile: 'web: ./run.sh' })).toBe('procfile');
  });

  it('uses the buildpack an app chose, and refuses unknown ones', () => {
    expect(detectBuildpack(memorySource({ 'index.html': '' }), 'procfile').name).toBe('procfile');
    expect(() => findBuildpack('ruby')).toThrow(/Unknown buildpack "ruby"/);
  });
});

describe('node buildpack', () => {
  it('uses npm ci with a lockfile, builds, prunes and starts with npm start', () => {
    const plan = node.plan(
      memorySource({
        'package.json': JSON.stringify({
          scripts: { start: 'node s.js', build: 'tsc' },
          devDependencies: { typescript: '^5.0.0' },
        }),
        'package-lock.json': '{}',
      }),
      context,
    );
    const lines = plan.dockerfile.split('\n');
    expect(lines).toContain('COPY --chown=dyno:dyno package.json package-lock.json /app/');
    expect(lines.indexOf('RUN npm ci --include=dev')).toBeLessThan(lines.indexOf('COPY --chown=dyno:dyno . /app'));
    // Build and prune in one step after the code: each uncached step there costs a commit per push.
    const build = lines.indexOf('RUN npm run build && npm prune --omit=dev');
    expect(build).toBe(lines.indexOf('COPY --chown=dyno:dyno . /app') + 1);
    // The last step: set before the code, NODE_ENV costs no step per push.
    expect(lines.slice(build + 1)).toEqual(['']);
    expect(lines.indexOf('ENV NODE_ENV=production')).toBeGreaterThan(lines.indexOf('RUN npm ci --include=dev'));
    expect(lines.indexOf('ENV NODE_ENV=production')).toBeLessThan(lines.indexOf('COPY --chown=dyno:dyno . /app'));
    expect(lines).toContain('ARG NPM_CONFIG_CAFILE=/etc/plat/build-ca.crt');
    expect(plan.processTypes).toEqual({ web: 'npm start' });
  });

  it('prunes only when there are devDependencies, and runs nothing after the code when there is nothing to do', () => {
    const after = (pkg: object) => {
      const lines = node.plan(memorySource({ 'package.json': JSON.stringify(pkg) }), context).dockerfile.split('\n');
      return lines.slice(lines.indexOf('COPY --chown=dyno:dyno . /app') + 1).filter(Boolean);
    };
    expect(after({ scripts: { build: 'node build.js' } })).toEqual(['RUN npm run build']);
    expect(after({ devDependencies: { jest: '1' } })).toEqual(['RUN npm prune --omit=dev']);
    expect(after({ scripts: { start: 'node s.js' } })).toEqual([]);
    // A package.json from a push is anyone's: odd shapes prune nothing, and break nothing.
    expect(after({ devDependencies: 'jest' })).toEqual([]);
    expect(after({ devDependencies: {} })).toEqual([]);
  });

  it('uses npm install without a lockfile and has no web process without a start script or server.js', () => {
    const plan = node.plan(memorySource({ 'package.json': '{"name":"x"}' }), context);
    expect(plan.dockerfile).toContain('RUN npm install --include=dev');
    expect(plan.dockerfile).not.toContain('npm run build');
    expect(plan.dockerfile.endsWith('COPY --chown=dyno:dyno . /app\n')).toBe(true);
    expect(plan.processTypes).toEqual({});
    expect(node.plan(memorySource({ 'package.json': '{}', 'server.js': '' }), context).processTypes).toEqual({
      web: 'npm start',
    });
  });
});

describe('static buildpack', () => {
  it('serves the static.json root with nginx on $PORT, with caching headers', () => {
    const plan = staticSite.plan(
      memorySource({ 'static.json': '{"root": "public/"}', 'public/index.html': '' }),
      context,
    );
    expect(plan.processTypes).toEqual({ web: 'plat-static-server' });
    const config = plan.files!['static-nginx.conf.template']!;
    expect(config).toContain('root /app/public;');
    expect(config).toContain('listen __PORT__;');
    expect(config).toContain('include /etc/nginx/mime.types;');
    expect(config).toContain('Cache-Control "public, max-age=86400"');
    expect(plan.files!['plat-static-server']).toContain('exec nginx');
  });

  it('never lets the root leave the app', () => {
    const plan = staticSite.plan(memorySource({ 'static.json': '{"root": "../../etc"}' }), context);
    expect(plan.files!['static-nginx.conf.template']).toContain('root /app/;');
  });
});

describe('dockerfile and procfile buildpacks', () => {
  it('builds a Dockerfile as is and runs its CMD', () => {
    const plan = dockerfile.plan(memorySource({ Dockerfile: 'FROM plat/stack:latest\nCMD ["x"]\n' }), context);
    expect(plan.dockerfile).toBe('FROM plat/stack:latest\nCMD ["x"]\n');
    expect(plan.processTypes).toEqual({ web: '' });
  });

  it('runs a bare Procfile on the stack', () => {
    const plan = procfileOnly.plan(memorySource({ Procfile: 'web: ./serve' }), context);
    expect(plan.dockerfile).toContain('FROM plat/stack:latest');
    // Nothing after the code: every step there would cost a container and a commit per push.
    expect(plan.dockerfile.endsWith('USER dyno\nCOPY --chown=dyno:dyno . /app\n')).toBe(true);
    expect(plan.generated).toBe(true);
    expect(plan.processTypes).toEqual({});
  });
});

describe('python WSGI entries', () => {
  it('finds a Pyramid app from its ini or its make_wsgi_app() call', () => {
    expect(findWsgiEntry(memorySource({ 'production.ini': '[app:main]\nuse = egg:shop\n' }))).toEqual({
      framework: 'pyramid',
      target: '--paste production.ini',
    });
    const module =
      'from pyramid.config import Configurator\nwith Configurator() as config:\n    app = config.make_wsgi_app()\n';
    expect(findWsgiEntry(memorySource({ 'main.py': module }))).toEqual({ framework: 'pyramid', target: 'main:app' });
  });

  it('finds a plain PEP 3333 application', () => {
    expect(findWsgiEntry(memorySource({ 'wsgi.py': 'def application(environ, start_response):\n    pass\n' }))).toEqual(
      { framework: 'wsgi', target: 'wsgi:application' },
    );
  });

  it('collects Django static files only when STATIC_ROOT is set', () => {
    expect(
      wantsCollectstatic(memorySource({ 'manage.py': '', 'site/settings.py': 'STATIC_ROOT = BASE / "static"\n' })),
    ).toBe(true);
    expect(wantsCollectstatic(memorySource({ 'manage.py': '', 'site/settings.py': 'STATIC_URL = "/s/"\n' }))).toBe(
      false,
    );
  });
});
