import { describe, expect, it } from 'vitest';
import { checkHostname } from './hostname.js';

const check = (raw: string, platDomain = 'apps.example.net') => checkHostname(raw, { platDomain });
const label = (n: number, c = 'a') => c.repeat(n);

describe('checkHostname', () => {
  it.each([
    ['www.example.com', 'www.example.com'],
    ['  WWW.Example.COM.  ', 'www.example.com'],
    ['*.example.com', '*.example.com'],
    ['*.shop.example.co.uk', '*.shop.example.co.uk'],
    ['*.example.co.uk', '*.example.co.uk'],
    ['me.github.io', 'me.github.io'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
    ['example.com', 'example.com'],
  ])('accepts %j as %j', (raw, stored) => {
    expect(check(raw)).toBe(stored);
  });

  it('accepts the longest names DNS allows: 253 characters, 63 per label', () => {
    const longest = [label(63), label(63, 'b'), label(63, 'c'), label(57, 'd'), 'com'].join('.');
    expect(longest).toHaveLength(253);
    expect(check(longest)).toBe(longest);
  });

  it.each([
    ['', /it is empty/],
    [
      [label(63), label(63), label(63), label(60), 'com'].join('.'),
      /is 256 characters long; a hostname has at most 253/,
    ],
    [`${label(64)}.example.com`, /is 64 characters long; DNS allows at most 63/],
    ['a..example.com', /empty label/],
    ['.example.com', /empty label/],
    ['-www.example.com', /only letters, digits and hyphens, and no hyphen at either end/],
    ['www-.example.com', /no hyphen at either end/],
    ['bad_host.example.com', /only letters, digits and hyphens/],
    ['a b.example.com', /only letters, digits and hyphens/],
    ['www.example.com; return 200', /only letters, digits and hyphens/],
    ['localhost', /at least two labels/],
    ['com', /at least two labels/],
  ])('refuses %j as malformed', (raw, why) => {
    expect(() => check(raw)).toThrow(why);
  });

  it.each([
    ['www.*.example.com', /a wildcard may only be the whole first label/],
    ['*x.example.com', /a wildcard may only be the whole first label/],
    ['**.example.com', /a wildcard may only be the whole first label/],
    ['*.*.example.com', /a wildcard may only be the whole first label/],
    ['www.example.*', /a wildcard may only be the whole first label/],
    ['*', /a wildcard needs a domain after it/],
    ['*.com', /com is a public suffix.*like \*\.example\.com/],
    ['*.co.uk', /co\.uk is a public suffix/],
    ['*.github.io', /github\.io is a public suffix/],
    ['*.anything.ck', /anything\.ck is a public suffix/],
    ['co.uk', /co\.uk is a public suffix, where anyone registers names, not a domain of its own/],
  ])('refuses %j: a wildcard out of place or over a public suffix', (raw, why) => {
    expect(() => check(raw)).toThrow(why);
  });

  it.each([
    ['app.localhost', /\.localhost names are reserved/],
    ['www.example.localhost', /\.localhost names are reserved/],
    ['plat-router.invalid', /\.invalid names are reserved/],
    ['*.example.invalid', /\.invalid names are reserved/],
  ])('refuses the reserved name %j (the router probes itself on a .invalid name)', (raw, why) => {
    expect(() => check(raw)).toThrow(why);
  });

  it.each(['127.0.0.1', '10.0.0.300', '[::1]', '::1', '1.2.3'])('refuses the IP address literal %j', (raw) => {
    expect(() => check(raw)).toThrow(/an IP address cannot be a domain/);
  });

  it('refuses a numeric top-level domain', () => {
    expect(() => check('www.example.123')).toThrow(/last label is a number/);
  });

  it("refuses Plat's own names and wildcards that would catch them", () => {
    expect(() => check('apps.example.net')).toThrow(/under apps\.example\.net, where Plat names apps itself/);
    expect(() => check('other-app.apps.example.net')).toThrow(/where Plat names apps itself/);
    expect(() => check('*.apps.example.net')).toThrow(/where Plat names apps itself/);
    expect(() => check('*.example.net')).toThrow(/would also catch Plat's own app names under apps\.example\.net/);
    expect(check('www.example.net')).toBe('www.example.net');
  });

  it("refuses the API's own domain (PLAT_API_DOMAIN), in any case", () => {
    const options = { platDomain: 'apps.example.net', apiDomain: 'plat.example.net' };
    expect(() => checkHostname('PLAT.example.net.', options)).toThrow(
      /where Plat serves its own API \(PLAT_API_DOMAIN\)/,
    );
    expect(checkHostname('www.example.net', options)).toBe('www.example.net');
  });

  it('names the punycode form of an internationalised name', () => {
    expect(() => check('bücher.example')).toThrow(/ASCII \(punycode\) form: xn--bcher-kva\.example/);
  });

  it('says invalid_params with status 422', () => {
    try {
      check('*.com');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ id: 'invalid_params', status: 422 });
    }
  });
});
