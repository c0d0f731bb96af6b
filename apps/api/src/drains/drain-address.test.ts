import { describe, expect, it } from 'vitest';
import { addressRefusal, isLocalName, unmapped } from './drain-address.js';

const strict = { allowPrivate: false, hostAddresses: ['203.0.113.7'] };
const lenient = { allowPrivate: true, hostAddresses: ['203.0.113.7'] };

describe('addressRefusal', () => {
  it('lets public addresses through', () => {
    expect(addressRefusal('93.184.216.34', strict)).toBeUndefined();
    expect(addressRefusal('2606:2800:220:1::1', strict)).toBeUndefined();
  });

  it('refuses loopback, private and own addresses unless allowed', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '100.64.0.1', '::1', 'fd00::1'])
      expect(addressRefusal(address, strict), address).toMatch(/loopback or private/);
    expect(addressRefusal('203.0.113.7', strict)).toMatch(/own address/);
    expect(addressRefusal('::ffff:127.0.0.1', strict)).toMatch(/127\.0\.0\.1 is a loopback/);
    expect(addressRefusal('::ffff:7f00:1', strict)).toMatch(/127\.0\.0\.1 is a loopback/);
    for (const address of ['127.0.0.1', '10.1.2.3', '::1', '203.0.113.7'])
      expect(addressRefusal(address, lenient), address).toBeUndefined();
  });

  it('never allows link-local (the metadata service), unspecified or multicast addresses', () => {
    for (const address of ['169.254.169.254', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::', 'fe80::1', 'ff02::1'])
      expect(addressRefusal(address, lenient), address).toMatch(/link-local, multicast or reserved/);
    expect(addressRefusal('::ffff:169.254.169.254', lenient)).toMatch(/link-local/);
  });

  it('unmaps IPv4-mapped addresses and knows localhost names', () => {
    expect(unmapped('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(unmapped('2001:db8::1')).toBe('2001:db8::1');
    expect(isLocalName('localhost')).toBe(true);
    expect(isLocalName('app.localhost')).toBe(true);
    expect(isLocalName('localhost.example.com')).toBe(false);
  });
});
