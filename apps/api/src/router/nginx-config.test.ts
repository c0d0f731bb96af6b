import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderNginxConfig, type RouterConfigInput } from './nginx-config.js';

const dir = mkdtempSync(join(tmpdir(), 'plat-nginx-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input: RouterConfigInput = {
  dir,
  logDir: join(dir, 'logs'),
  listenHost: '127.0.0.1',
  port: 18080,
  generation: 7,
  routes: [
    {
      app: 'hello',
      hostnames: ['hello.localhost', 'www.example.com'],
      dynos: [
        { name: 'web.2', port: 32770 },
        { name: 'web.1', port: 32768 },
      ],
      maintenance: false,
    },
    { app: 'idle-app', hostnames: ['idle-app.localhost'], dynos: [], maintenance: false },
    { app: 'closed', hostnames: ['closed.localhost'], dynos: [{ name: 'web.1', port: 32800 }], maintenance: true },
  ],
};

describe('renderNginxConfig', () => {
  const config = renderNginxConfig(input);

  it('balances an app over its web dynos by least connections', () => {
    expect(config).toContain(
      'upstream app_hello {\n    least_conn;\n' +
        '    server 127.0.0.1:32768 max_fails=0;\n    server 127.0.0.1:32770 max_fails=0;',
    );
    expect(config).toContain('server_name hello.localhost www.example.com;');
    expect(config).toContain('proxy_pass http://app_hello;');
  });

  it('answers H14 for an app with no web dynos and H80 in maintenance', () => {
    expect(config).toMatch(
      new RegExp(
        /server_name idle-app\.localhost;[\s\S]*?add_header X-Plat-Error H14 always;/.source +
          /[\s\S]*?return 503 "H14: no web dynos running for idle-app/.source,
      ),
    );
    expect(config).toMatch(
      /server_name closed\.localhost;[\s\S]*?add_header X-Plat-Error H80 always;[\s\S]*?Application under maintenance/,
    );
    expect(config).not.toContain('upstream app_closed');
  });

  it("logs each app's requests to its own file, naming the dyno that answered", () => {
    expect(config).toContain(`access_log ${dir}/logs/hello.log plat buffer=64k flush=250ms;`);
    expect(config).toContain(`access_log ${dir}/logs/idle-app.log plat`);
    // Unknown hosts and the generation probe are not an app's requests.
    expect(config).toContain('  access_log off;');
    expect(config.slice(config.indexOf('server_name _;'), config.indexOf('upstream app_'))).not.toContain('access_log');
    expect(config).toContain('    127.0.0.1:32768 web.1;\n    127.0.0.1:32770 web.2;');
    expect(config).toContain('    "~:32770$" web.2;');
    expect(config).not.toContain('127.0.0.1:32800 web.1;');
  });

  it('sends unknown hosts to a 404 and reports its generation', () => {
    expect(config).toContain('listen 127.0.0.1:18080 default_server;');
    expect(config).toContain('location = /.plat/router-generation { return 200 "7"; }');
  });

  it('forwards the client and request id headers', () => {
    for (const header of ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Port', 'X-Request-Id', 'Upgrade']) {
      expect(config).toContain(`proxy_set_header ${header} `);
    }
  });

  it('refuses values that could inject nginx directives', () => {
    const evil = {
      ...input,
      routes: [{ app: 'x', hostnames: ['a.localhost; return 200'], dynos: [], maintenance: false }],
    };
    expect(() => renderNginxConfig(evil)).toThrow(/unsafe value/);
  });

  it.each([
    ['with apps', config],
    ['with no apps yet', renderNginxConfig({ ...input, routes: [] })],
  ])('passes nginx -t %s', (_, text) => {
    for (const sub of ['logs', 'tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi'])
      mkdirSync(join(dir, sub), { recursive: true });
    const path = join(dir, 'nginx.conf');
    writeFileSync(path, text);
    const check = spawnSync('nginx', ['-t', '-p', dir, '-e', join(dir, 'error.log'), '-c', path], { encoding: 'utf8' });
    expect(check.stderr).toContain('test is successful');
    expect(check.status).toBe(0);
  });
});
