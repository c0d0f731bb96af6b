import { describe, expect, it } from 'vitest';
import { formatLogLine, matches } from './log-line.js';
import { parseRouterLine, ROUTER_LOG_FORMAT } from './router-line.js';

describe('log lines', () => {
  it('format Heroku-style', () => {
    expect(formatLogLine({ at: new Date('2026-11-23T18:00:00Z'), source: 'app', dyno: 'web.1', line: 'hello' })).toBe(
      '2026-11-23T18:00:00.000Z app[web.1]: hello',
    );
  });

  it('filter by source and dyno, where a type means all its dynos', () => {
    const line = { at: new Date(), source: 'app' as const, dyno: 'web.2', line: '' };
    expect(matches(line, { dyno: 'web' })).toBe(true);
    expect(matches(line, { dyno: 'web.2', source: 'app' })).toBe(true);
    expect(matches(line, { dyno: 'web.1' })).toBe(false);
    expect(matches(line, { dyno: 'worker' })).toBe(false);
    expect(matches(line, { source: 'router' })).toBe(false);
  });
});

describe('router lines', () => {
  const raw = (fields: string[]) => fields.join('\t');

  it('are written by nginx as tab-separated fields', () => {
    expect(ROUTER_LOG_FORMAT.split('\\t')).toEqual([
      '$msec',
      '$sent_http_x_plat_error',
      '$request_method',
      '$request_uri',
      '$host',
      '$plat_request_id',
      '$remote_addr',
      '$plat_dyno',
      '$upstream_connect_time',
      '$upstream_response_time',
      '$status',
      '$bytes_sent',
      '$plat_wake',
    ]);
  });

  it('read as Heroku router lines naming the dyno', () => {
    const line = parseRouterLine(
      raw([
        '1795460802.123',
        '-',
        'GET',
        '/a?b=1',
        'hello.localhost',
        'abc',
        '127.0.0.1',
        'web.2',
        '0.001',
        '0.012',
        '200',
        '345',
      ]),
    );
    expect(line).toMatchObject({ source: 'router', dyno: 'router', at: new Date(1795460802123) });
    expect(line?.line).toBe(
      'at=info method=GET path="/a?b=1" host=hello.localhost request_id=abc fwd="127.0.0.1" ' +
        'dyno=web.2 connect=1ms service=12ms status=200 bytes=345',
    );
  });

  it('mark timeouts, retries and missing dynos with their codes', () => {
    const timeout = parseRouterLine(
      raw(['1', 'H12', 'GET', '/', 'x', 'id', '127.0.0.1', 'web.1', '0.001', '30.000', '503', '0']),
    );
    expect(timeout?.line).toMatch(/^at=error code=H12 .* dyno=web\.1 connect=1ms service=30000ms status=503 /);
    const retried = parseRouterLine(
      raw(['1', '-', 'GET', '/', 'x', 'id', '127.0.0.1', 'web.2', '0.000, 0.002', '-, 0.010', '200', '9']),
    );
    expect(retried?.line).toContain('dyno=web.2 connect=2ms service=10ms status=200');
    const none = parseRouterLine(raw(['1', 'H14', 'GET', '/', 'x', 'id', '127.0.0.1', '-', '-', '-', '503', '0']));
    expect(none?.line).toMatch(/^at=error code=H14 .* dyno=- connect=- service=- status=503/);
  });

  it("show a woken request's wake time, and read lines from before the wake field", () => {
    const fields = ['1', '-', 'GET', '/', 'x', 'id', '127.0.0.1', 'web.1', '-', '0.004', '200', '9'];
    expect(parseRouterLine(raw([...fields, '1.4']))?.line).toMatch(/ status=200 bytes=9 wake=1\.4s$/);
    expect(parseRouterLine(raw([...fields, '-']))?.line).toMatch(/ status=200 bytes=9$/);
    expect(parseRouterLine(raw(fields))?.line).toMatch(/ status=200 bytes=9$/);
  });

  it('skip what is not a router line', () => {
    expect(parseRouterLine('')).toBeUndefined();
    expect(parseRouterLine('time=1 app=x method=GET')).toBeUndefined();
    expect(
      parseRouterLine(raw(['soon', '-', 'GET', '/', 'x', 'id', '127.0.0.1', '-', '-', '-', '503', '0'])),
    ).toBeUndefined();
  });
});
