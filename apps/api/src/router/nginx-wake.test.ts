/**
 * How the router config sends a sleeping eco app's requests to platd's wake
 * listener: pure rendering, then `nginx -t` on the result.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderNginxConfig, type RouterConfigInput } from './nginx-config.js';

const dir = mkdtempSync(join(tmpdir(), 'plat-nginx-wake-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const wake = { socket: join(dir, 'wake.sock'), secret: 'a1b2c3d4e5f6', holdSeconds: 95 };
const input: RouterConfigInput = {
  dir,
  logDir: join(dir, 'logs'),
  listenHost: '127.0.0.1',
  port: 18080,
  generation: 3,
  wake,
  routes: [
    { app: 'dozy', hostnames: ['dozy.localhost'], dynos: [], maintenance: false, asleep: true },
    { app: 'awake', hostnames: ['awake.localhost'], dynos: [{ name: 'web.1', port: 32768 }], maintenance: false },
    { app: 'closed', hostnames: ['closed.localhost'], dynos: [], maintenance: true, asleep: true },
  ],
};

/** The server block of one hostname. */
function serverOf(config: string, hostname: string): string {
  const start = config.indexOf(`server_name ${hostname};`);
  return config.slice(start, config.indexOf('\n  }', start));
}

describe('a sleeping app in the router config', () => {
  const config = renderNginxConfig(input);

  it("hands its requests to the wake listener, naming the app from the route and bearing nginx's secret", () => {
    const dozy = serverOf(config, 'dozy.localhost');
    expect(dozy).toContain(`proxy_pass http://unix:${wake.socket}:;`);
    expect(dozy).toContain('proxy_set_header X-Plat-App dozy;');
    expect(dozy).toContain('proxy_set_header X-Plat-Wake-Secret a1b2c3d4e5f6;');
    // Set here, the http block's headers are not inherited: each is set again.
    for (const header of ['Host $host', 'X-Forwarded-For', 'X-Request-Id $plat_request_id', 'Connection'])
      expect(dozy).toContain(`proxy_set_header ${header}`);
    expect(dozy).not.toContain('H14');
  });

  it('waits as long as a boot and the first answer may take, and answers H99 when platd is not there', () => {
    const dozy = serverOf(config, 'dozy.localhost');
    expect(dozy).toContain('proxy_read_timeout 95s;');
    expect(dozy).toContain('proxy_send_timeout 95s;');
    expect(dozy).toMatch(/error_page 502 504 = @h99;[\s\S]*add_header X-Plat-Error H99 always;/);
  });

  it("logs the wake time and the dyno only from the wake listener's answer, hidden from the client", () => {
    const dozy = serverOf(config, 'dozy.localhost');
    expect(dozy).toContain('proxy_hide_header X-Plat-Wake;');
    expect(dozy).toContain('proxy_hide_header X-Plat-Dyno;');
    expect(config).toContain('map "$upstream_addr $upstream_http_x_plat_wake" $plat_wake {');
    expect(config).toMatch(/"~\^unix:\[\^ \]\+ \(\?<plat_wake_seconds>/);
    expect(config).toContain('"~^unix:" $upstream_http_x_plat_dyno;');
    expect(config).toMatch(/log_format plat '.*\\t\$plat_wake';/);
  });

  it('leaves awake apps and maintenance as they were', () => {
    expect(serverOf(config, 'awake.localhost')).toContain('proxy_pass http://app_awake;');
    expect(serverOf(config, 'awake.localhost')).not.toContain('unix:');
    expect(serverOf(config, 'closed.localhost')).toContain('H80');
    expect(serverOf(config, 'closed.localhost')).not.toContain('unix:');
  });

  it('answers H14 for a sleeping app when there is no wake listener', () => {
    const without = renderNginxConfig({ ...input, wake: undefined });
    expect(serverOf(without, 'dozy.localhost')).toContain('H14');
    expect(without).not.toContain('proxy_pass http://unix:');
    expect(without).toContain('$plat_wake');
  });

  it('refuses a secret or socket that could break out of the config', () => {
    expect(() => renderNginxConfig({ ...input, wake: { ...wake, secret: 'x; return 200' } })).toThrow(/unsafe value/);
    expect(() => renderNginxConfig({ ...input, wake: { ...wake, socket: '/tmp/a b' } })).toThrow(/unsafe value/);
  });

  it('passes nginx -t', () => {
    for (const sub of ['logs', 'tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi'])
      mkdirSync(join(dir, sub), { recursive: true });
    const path = join(dir, 'nginx.conf');
    writeFileSync(path, config);
    const check = spawnSync('nginx', ['-t', '-p', dir, '-e', join(dir, 'error.log'), '-c', path], {
      encoding: 'utf8',
    });
    expect(check.stderr).toContain('test is successful');
    expect(check.status).toBe(0);
  });
});
