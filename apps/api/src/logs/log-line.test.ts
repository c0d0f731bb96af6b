import { describe, expect, it } from 'vitest';
import { formatLogLine, matches, routerLine } from './log-line.js';

describe('log lines', () => {
  it('format Heroku-style', () => {
    expect(formatLogLine({ at: new Date('2026-11-23T18:00:00Z'), source: 'app', dyno: 'web.1', line: 'hello' })).toBe('2026-11-23T18:00:00.000Z app[web.1]: hello');
  });

  it('filter by source and dyno, where a type means all its dynos', () => {
    const line = { at: new Date(), source: 'app' as const, dyno: 'web.2', line: '' };
    expect(matches(line, { dyno: 'web' })).toBe(true);
    expect(matches(line, { dyno: 'web.2', source: 'app' })).toBe(true);
    expect(matches(line, { dyno: 'web.1' })).toBe(false);
    expect(matches(line, { dyno: 'worker' })).toBe(false);
    expect(matches(line, { source: 'router' })).toBe(false);
  });

  it('turn an nginx access line into a router line naming the dyno', () => {
    const raw = 'time=1795460802.123 app=hello method=GET path="/a?b=1" host=hello.localhost request_id=abc fwd="127.0.0.1" upstream=127.0.0.1:32771 connect=0.001 service=0.012 status=200 bytes=345';
    const parsed = routerLine(raw, (port) => (port === 32771 ? 'web.2' : undefined));
    expect(parsed?.app).toBe('hello');
    expect(parsed?.entry).toMatchObject({ source: 'router', dyno: 'router', at: new Date(1795460802123) });
    expect(parsed?.entry.line).toBe('at=info method=GET path="/a?b=1" host=hello.localhost request_id=abc fwd="127.0.0.1" dyno=web.2 connect=1ms service=12ms status=200 bytes=345');
  });

  it('marks timeouts and missing dynos with their codes, and skips unknown hosts', () => {
    const timeout = routerLine('time=1 app=x err=H12 method=GET path="/" host=x upstream=127.0.0.1:1 connect=0.001 service=30.000 status=503 bytes=0', () => 'web.1');
    expect(timeout?.entry.line).toMatch(/^at=error code=H12 .* dyno=web\.1 /);
    const none = routerLine('time=1 app=x err=H14 method=GET path="/" host=x upstream=- connect=- service=- status=503 bytes=0', () => undefined);
    expect(none?.entry.line).toMatch(/^at=error code=H14 .* dyno=- connect=- service=- /);
    expect(routerLine('time=1 app=- method=GET path="/" host=nope upstream=- status=404', () => undefined)).toBeUndefined();
  });
});
