import { describe, expect, it } from 'vitest';
import { parseDrainUrl, redactedDrainUrl } from './drain-url.js';

const refusal = (raw: string) => {
  try {
    parseDrainUrl(raw);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('parseDrainUrl', () => {
  it('takes syslog+tls, syslog and https URLs, with default ports', () => {
    expect(parseDrainUrl('syslog+tls://Logs.Example.com:6514')).toMatchObject({
      kind: 'syslog+tls',
      host: 'logs.example.com',
      port: 6514,
      url: 'syslog+tls://logs.example.com:6514',
    });
    expect(parseDrainUrl('syslog://logs.example.com')).toMatchObject({ kind: 'syslog', port: 514 });
    expect(parseDrainUrl('syslog+tls://logs.example.com/')).toMatchObject({ port: 6514 });
    expect(parseDrainUrl('syslog://[2001:db8::1]:601')).toMatchObject({ host: '2001:db8::1', port: 601 });
    expect(parseDrainUrl('https://u:p%40ss@logs.example.com/drain?x=1')).toMatchObject({
      kind: 'https',
      host: 'logs.example.com',
      port: 443,
      path: '/drain?x=1',
      username: 'u',
      password: 'p@ss',
    });
    expect(parseDrainUrl('https://127.0.0.1:8443/')).toMatchObject({ host: '127.0.0.1', port: 8443, path: '/' });
  });

  it('writes internationalised and odd IPv4 hosts the one way', () => {
    expect(parseDrainUrl('syslog://bücher.example:514').host).toBe('xn--bcher-kva.example');
    expect(parseDrainUrl('syslog://0x7f.1:514').host).toBe('127.0.0.1');
  });

  it('refuses other schemes, plain http, and syslog URLs with more than host and port', () => {
    expect(refusal('http://logs.example.com/')).toMatch(/in the clear/);
    expect(refusal('ftp://logs.example.com/')).toMatch(/not ftp:\/\//);
    expect(refusal('file:///etc/passwd')).toMatch(/not file:\/\//);
    expect(refusal('syslog://user:pw@logs.example.com:514')).toMatch(/host:port/);
    expect(refusal('syslog://logs.example.com:514/path')).toMatch(/host:port/);
    expect(refusal('syslog://logs.example.com:514?q')).toMatch(/host:port/);
    expect(refusal('syslog://logs.example.com:99999')).toMatch(/Not a URL|Not a TCP port/);
    expect(refusal('https://logs.example.com/#x')).toMatch(/fragment/);
    expect(refusal('logs.example.com:514')).toMatch(/not logs\.example\.com:\/\/|Not a URL/);
    expect(refusal('')).toMatch(/Give a drain URL/);
    expect(refusal(`https://logs.example.com/${'a'.repeat(3000)}`)).toMatch(/at most 2048/);
    expect(refusal('syslog://logs example.com:514')).toMatch(/spaces/);
    expect(refusal('syslog://-bad-.example:514')).toMatch(/Not a host name/);
  });

  it('keeps a password out of what is logged', () => {
    expect(redactedDrainUrl('https://u:secret@logs.example.com/d')).toBe('https://u:***@logs.example.com/d');
    expect(redactedDrainUrl('syslog://logs.example.com:514')).toBe('syslog://logs.example.com:514');
  });
});
