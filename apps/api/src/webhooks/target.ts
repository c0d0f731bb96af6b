import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { PlatError } from '@plat/core';

/**
 * Where a webhook may be sent. platd runs as root beside the state database
 * and add-ons, so a user-given URL must not reach the host or its private
 * networks: only http(s), and only public addresses, checked on the address
 * the name resolves to at each attempt (PLAT_WEBHOOKS_ALLOW_PRIVATE lifts
 * the address rule, for receivers on the same network, and for tests).
 */
export const MAX_URL_LENGTH = 2048;

export function checkWebhookUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH)
    throw new PlatError('invalid_params', `The URL is over ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PlatError('invalid_params', `${JSON.stringify(raw)} is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PlatError('invalid_params', `A webhook URL must be http:// or https://, not ${url.protocol}//.`);
  if (url.username || url.password)
    throw new PlatError(
      'invalid_params',
      'A webhook URL may not carry a user or password: receivers check the signature made with --secret.',
    );
  if (!url.hostname) throw new PlatError('invalid_params', 'The webhook URL has no host.');
  return url;
}

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b:1::', 48], // local-use NAT64
  ['64:ff9b::', 96], // NAT64 of any IPv4 address, a private one too
  ['2002::', 16], // 6to4: an IPv4 address inside
] as const)
  blocked.addSubnet(network, prefix, 'ipv6');

/** This host's own addresses: a public one still reaches platd's neighbours (anything bound to 0.0.0.0). */
function ownAddress(address: string): boolean {
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((entry) => entry.address.toLowerCase() === address),
  );
}

/** Whether an address is one a webhook may reach: public unicast only, never this host. */
export function publicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (ownAddress(address.toLowerCase())) return false;
  if (family === 4) return !blocked.check(address, 'ipv4');
  const lower = address.toLowerCase();
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is that IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return publicAddress(mapped[1]!);
  return !blocked.check(lower, 'ipv6');
}
