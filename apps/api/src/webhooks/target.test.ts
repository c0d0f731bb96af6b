import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, publicAddress } from './target.js';

describe('checkWebhookUrl', () => {
  it('takes http and https URLs', () => {
    expect(checkWebhookUrl('https://hooks.example.com/plat?x=1').toString()).toBe('https://hooks.example.com/plat?x=1');
    expect(checkWebhookUrl('http://127.0.0.1:8000/').hostname).toBe('127.0.0.1');
  });

  it('refuses other schemes, credentials in the URL, junk and overlong URLs', () => {
    expect(() => checkWebhookUrl('file:///etc/passwd')).toThrow('must be http:// or https://');
    expect(() => checkWebhookUrl('gopher://example.com/')).toThrow('must be http:// or https://');
    expect(() => checkWebhookUrl('https://user:pw@example.com/')).toThrow('may not carry a user or password');
    expect(() => checkWebhookUrl('not a url')).toThrow('is not a URL');
    expect(() => checkWebhookUrl(`https://example.com/${'a'.repeat(2100)}`)).toThrow('over 2048');
  });
});

describe('publicAddress', () => {
  it('allows public unicast addresses', () => {
    for (const address of ['8.8.8.8', '93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'])
      expect({ address, allowed: publicAddress(address) }).toEqual({ address, allowed: true });
  });

  it('refuses loopback, private, link-local, CGNAT, multicast and unspecified addresses', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::1',
      // This host's own addresses, whatever they are.
      ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address)),
      'not-an-ip',
    ])
      expect({ address, allowed: publicAddress(address) }).toEqual({ address, allowed: false });
  });
});
