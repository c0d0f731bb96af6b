import { describe, expect, it } from 'vitest';
import type { LogLine } from '../logs/log-line.js';
import { logplexRequest } from './logplex-frame.js';
import { octetCounted, syslogFrames, syslogMessage, syslogTimestamp } from './syslog-frame.js';

const at = new Date('2026-11-28T12:00:00.123Z');
const app: LogLine = { at, source: 'app', dyno: 'web.1', line: 'hello ünïcode' };
const router: LogLine = { at, source: 'router', dyno: 'router', line: 'at=info method=GET path="/"' };

describe('syslog messages', () => {
  it("are RFC 5424 in Heroku's shape: source as APP-NAME, dyno as PROCID", () => {
    expect(syslogTimestamp(at)).toBe('2026-11-28T12:00:00.123000+00:00');
    expect(syslogMessage(app, 'd.1234')).toBe(
      '<190>1 2026-11-28T12:00:00.123000+00:00 d.1234 app web.1 - hello ünïcode',
    );
    expect(syslogMessage(router, 'host')).toMatch(/^<158>1 \S+ host router router - at=info/);
    expect(syslogMessage({ ...app, source: 'plat', dyno: 'api' }, 'h')).toMatch(/^<134>1 /);
  });

  it('keep header fields printable and messages on one line', () => {
    expect(syslogMessage({ ...app, dyno: 'we b\n', line: 'a\r\nb' }, '')).toBe(
      '<190>1 2026-11-28T12:00:00.123000+00:00 - app we_b_ - a b',
    );
  });

  it('are octet counted in bytes, back to back', () => {
    expect(octetCounted('ü')).toBe('2 ü');
    const frames = syslogFrames([app, router], 'd.1').toString();
    const first = syslogMessage(app, 'd.1');
    expect(
      frames.startsWith(`${Buffer.byteLength(first)} ${first}${Buffer.byteLength(syslogMessage(router, 'd.1'))} `),
    ).toBe(true);
  });
});

describe('logplex requests', () => {
  it("frame lines as Heroku's HTTPS drains do, counting the trailing newline", () => {
    const { headers, body } = logplexRequest([app, router], { token: 'd.42', frameId: 'F1' });
    expect(headers).toMatchObject({
      'content-type': 'application/logplex-1',
      'logplex-msg-count': '2',
      'logplex-frame-id': 'F1',
      'logplex-drain-token': 'd.42',
      'content-length': String(body.length),
    });
    const message = `${syslogMessage(app, 'host')}\n`;
    expect(body.toString().startsWith(`${Buffer.byteLength(message)} ${message}`)).toBe(true);
    expect(body.toString().split('\n')).toHaveLength(3);
  });

  it("matches the example in Heroku's documentation", () => {
    const line: LogLine = {
      at: new Date('2012-11-30T06:45:29Z'),
      source: 'app',
      dyno: 'web.3',
      line: 'State changed from starting to up',
    };
    // Heroku's example counts 83 for `<40>1` and a timestamp in seconds; `<190>` and ".000000" add 8.
    expect(logplexRequest([line], { token: 't', frameId: 'f' }).body.toString()).toBe(
      '91 <190>1 2012-11-30T06:45:29.000000+00:00 host app web.3 - State changed from starting to up\n',
    );
  });
});
