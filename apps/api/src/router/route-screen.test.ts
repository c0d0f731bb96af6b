import { describe, expect, it } from 'vitest';
import type { RouteTarget } from './nginx-config.js';
import { KnownRefusals, nginxComplaint, screenRoutes, type RouteTest } from './route-screen.js';

const route = (app: string, ...hostnames: string[]): RouteTarget => ({
  app,
  hostnames: [`${app}.apps.test`, ...hostnames],
  dynos: [],
  maintenance: false,
});

/** Stands in for nginx -t by its rules: refuses some names and apps, and counts its runs. */
function judge(refuse: { hostnames?: string[]; apps?: string[]; empty?: string }) {
  const runs: RouteTarget[][] = [];
  const test: RouteTest = async (routes) => {
    runs.push(routes);
    if (refuse.empty) return refuse.empty;
    const app = routes.find((r) => refuse.apps?.includes(r.app));
    if (app) return `duplicate upstream for ${app.app}`;
    const name = routes.flatMap((r) => r.hostnames).find((h) => refuse.hostnames?.includes(h));
    return name ? `invalid server name or wildcard "${name}"` : undefined;
  };
  return { test, runs };
}

describe('screenRoutes', () => {
  const routes = [
    route('alpha', 'www.alpha.example'),
    route('beta', 'x.*.beta.example', 'www.beta.example'),
    route('gamma'),
  ];

  it('takes the whole set in one test when nginx accepts it', async () => {
    const { test, runs } = judge({});
    const screened = await screenRoutes(routes, test, new KnownRefusals());
    expect(screened).toEqual({ routes, refused: [] });
    expect(runs).toHaveLength(1);
  });

  it('leaves out only the hostname nginx refuses; the app keeps its other names and the others are whole', async () => {
    const { test } = judge({ hostnames: ['x.*.beta.example'] });
    const screened = await screenRoutes(routes, test, new KnownRefusals());
    expect(screened.routes).toEqual([
      routes[0],
      { ...routes[1], hostnames: ['beta.apps.test', 'www.beta.example'] },
      routes[2],
    ]);
    expect(screened.refused).toEqual([
      { app: 'beta', hostname: 'x.*.beta.example', reason: 'invalid server name or wildcard "x.*.beta.example"' },
    ]);
  });

  it('leaves out a whole app when none of its names helps', async () => {
    const { test } = judge({ apps: ['alpha'] });
    const screened = await screenRoutes(routes, test, new KnownRefusals());
    expect(screened.routes.map((r) => r.app)).toEqual(['beta', 'gamma']);
    expect(screened.refused).toEqual([{ app: 'alpha', reason: 'duplicate upstream for alpha' }]);
  });

  it('remembers refusals: the next change costs one test and reports nothing again', async () => {
    const known = new KnownRefusals();
    const { test, runs } = judge({ hostnames: ['x.*.beta.example'] });
    await screenRoutes(routes, test, known);
    runs.length = 0;
    const next = await screenRoutes([...routes, route('delta')], test, known);
    expect(runs).toHaveLength(1);
    expect(next.refused).toEqual([]);
    expect(next.routes.flatMap((r) => r.hostnames)).not.toContain('x.*.beta.example');
    expect(next.routes.map((r) => r.app)).toEqual(['alpha', 'beta', 'gamma', 'delta']);
  });

  it('forgets a refusal once its hostname is no longer asked for', async () => {
    const known = new KnownRefusals();
    await screenRoutes(routes, judge({ hostnames: ['x.*.beta.example'] }).test, known);
    expect(known.has('beta', 'x.*.beta.example')).toBe(true);
    await screenRoutes([routes[0]!, route('beta', 'www.beta.example')], judge({}).test, known);
    expect(known.has('beta', 'x.*.beta.example')).toBe(false);
  });

  it('fails, leaving out nothing, when nginx refuses even a config with no apps', async () => {
    await expect(
      screenRoutes(routes, judge({ empty: 'open() "/nope" failed' }).test, new KnownRefusals()),
    ).rejects.toThrow(/fails with no apps at all: open\(\) "\/nope" failed/);
  });
});

describe('nginxComplaint', () => {
  it('keeps what nginx says, without time, pid and file', () => {
    const output = [
      '2026/11/28 16:58:35 [emerg] 27139#27139: invalid server name or wildcard "x.*.y" on 127.0.0.1:1999',
      'nginx: configuration file /tmp/router/nginx.conf.check-1 test failed',
    ].join('\n');
    expect(nginxComplaint(output)).toBe('invalid server name or wildcard "x.*.y" on 127.0.0.1:1999');
    expect(nginxComplaint('nginx: [emerg] server name "**.com" is invalid in /tmp/x/nginx.conf:40\n')).toBe(
      'server name "**.com" is invalid',
    );
  });
});
