/**
 * Which hostnames the router will serve for an app: what DNS allows, what
 * nginx accepts as a server name, and nothing that would take traffic that
 * belongs to someone else (reserved names, Plat's own names, a wildcard over
 * a public suffix). Pure, so every rule is tested without nginx.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { PlatError } from '@plat/core';
import { createRequire } from 'node:module';
import type { parse as ParseDomain } from 'tldts';

/**
 * tldts's public-suffix tables cost ~13 MB of RSS: loaded on the first domain
 * checked, not by every platd at start (its CommonJS build, synchronously).
 */
let parseDomain: typeof ParseDomain | undefined;
function parse(...args: Parameters<typeof ParseDomain>): ReturnType<typeof ParseDomain> {
  parseDomain ??= (createRequire(import.meta.url)('tldts') as { parse: typeof ParseDomain }).parse;
  return parseDomain(...args);
}

const MAX_LENGTH = 253;
const MAX_LABEL = 63;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/**
 * Never served: RFC 6761 says these never resolve on the internet, and the
 * router uses a `.invalid` name for its own probe (plat-router.invalid).
 */
const RESERVED_TLDS = ['invalid', 'localhost'];

function refuse(hostname: string, why: string): never {
  const shown = hostname.length > 80 ? `${hostname.slice(0, 60)}…` : hostname;
  throw new PlatError('invalid_params', `Invalid hostname ${JSON.stringify(shown)}: ${why}`);
}

/** The hostname as it is stored: trimmed, lowercased, without a final dot. */
export function normalizeHostname(raw: string): string {
  return raw.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * A custom domain for an app, as stored; throws invalid_params saying what is
 * wrong. Wildcards only as the whole first label (`*.example.com`), and only
 * over a domain someone can register (not `*.com`, `*.co.uk`, `*.github.io`).
 */
export function checkHostname(raw: string, options: { platDomain: string; apiDomain?: string }): string {
  const hostname = normalizeHostname(raw);
  if (hostname === '') refuse(raw, 'it is empty; expected something like www.example.com.');
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) || /^[\d.]+$/.test(hostname)) {
    refuse(
      raw,
      'an IP address cannot be a domain: the router routes by hostname. Point a DNS name at this server and add that.',
    );
  }
  if (/[^\x20-\x7e]/.test(hostname)) {
    const ascii = domainToASCII(hostname);
    refuse(
      raw,
      ascii
        ? `add an internationalised name in its ASCII (punycode) form: ${ascii}`
        : 'it holds characters a hostname cannot have.',
    );
  }
  if (hostname.length > MAX_LENGTH)
    refuse(hostname, `it is ${hostname.length} characters long; a hostname has at most ${MAX_LENGTH}.`);
  const labels = hostname.split('.');
  for (const [index, label] of labels.entries()) {
    if (label === '') refuse(hostname, 'it has an empty label (two dots in a row, or a leading dot).');
    if (label === '*' && index === 0) continue;
    if (label.includes('*')) refuse(hostname, 'a wildcard may only be the whole first label, like *.example.com.');
    if (label.length > MAX_LABEL)
      refuse(
        hostname,
        `its label ${JSON.stringify(`${label.slice(0, 20)}…`)} is ${label.length} characters long; ` +
          `DNS allows at most ${MAX_LABEL}.`,
      );
    if (!LABEL.test(label))
      refuse(
        hostname,
        `its label ${JSON.stringify(label)} may hold only letters, digits and hyphens, and no hyphen at either end.`,
      );
  }
  const wildcard = labels[0] === '*';
  const base = wildcard ? labels.slice(1).join('.') : hostname;
  if (wildcard && labels.length === 1) refuse(hostname, 'a wildcard needs a domain after it, like *.example.com.');
  if (!wildcard && labels.length < 2) refuse(hostname, 'expected at least two labels, like example.com.');
  const tld = labels.at(-1)!;
  if (RESERVED_TLDS.includes(tld)) refuse(hostname, `.${tld} names are reserved and never resolve on the internet.`);
  if (/^\d+$/.test(tld)) refuse(hostname, 'its last label is a number; a top-level domain never is.');
  const { platDomain, apiDomain } = options;
  if (hostname === apiDomain) refuse(hostname, 'it is where Plat serves its own API (PLAT_API_DOMAIN).');
  if (base === platDomain || base.endsWith(`.${platDomain}`))
    refuse(hostname, `it is under ${platDomain}, where Plat names apps itself.`);
  // A wildcard over Plat's domain (or a domain above it) would catch app names not yet taken.
  if (wildcard && platDomain.endsWith(`.${base}`))
    refuse(hostname, `it would also catch Plat's own app names under ${platDomain}.`);
  const parsed = parse(base, { allowPrivateDomains: true });
  if (parsed.domain === null || parsed.publicSuffix === base) {
    refuse(
      hostname,
      wildcard
        ? `${base} is a public suffix, where anyone registers names: ` +
            `a wildcard needs a domain of your own after it, like *.example.${base}.`
        : `${base} is a public suffix, where anyone registers names, not a domain of its own.`,
    );
  }
  return hostname;
}
