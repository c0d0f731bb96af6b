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
  listenHost: '127.0.0.1',
  port: 18080,
  generation: 7,
  routes: [
    { app: 'hello', hostnames: ['hello.localhost', 'www.example.com'], ports: [32768, 32770], maintenance: false },
    { app: 'idle-app', hostnames: ['idle-app.localhost'], ports: [], maintenance: false },
    { app: 'closed', hostnames: ['closed.localhost'], ports: [32800], maintenance: true },
  ],
};

describe('renderNginxConfig', () => {
  const config = renderNginxConfig(input);

  it('balances an app over its web dynos by least connections', () => {
    expect(config).toContain('upstream app_hello {\n    least_conn;\n    server 127.0.0.1:32768 max_fails=0;\n    server 127.0.0.1:32770 max_fails=0;');
    expect(config).toContain('server_name hello.localhost www.example.com;');
    expect(config).toContain('proxy_pass http://app_hello;');
  });

  it('answers H14 for an app with no web dynos and 503 in maintenance', () => {
    expect(config).toMatch(/server_name idle-app\.localhost;[\s\S]*?return 503 "H14: no web dynos running for idle-app/);
    expect(config).toMatch(/server_name closed\.localhost;[\s\S]*?Application under maintenance/);
    expect(config).not.toContain('upstream app_closed');
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
    const evil = { ...input, routes: [{ app: 'x', hostnames: ['a.localhost; return 200'], ports: [1], maintenance: false }] };
    expect(() => renderNginxConfig(evil)).toThrow(/unsafe value/);
  });

  it('passes nginx -t', () => {
    for (const sub of ['tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) mkdirSync(join(dir, sub), { recursive: true });
    const path = join(dir, 'nginx.conf');
    writeFileSync(path, config);
    const check = spawnSync('nginx', ['-t', '-p', dir, '-e', join(dir, 'error.log'), '-c', path], { encoding: 'utf8' });
    expect(check.stderr).toContain('test is successful');
    expect(check.status).toBe(0);
  });
});
