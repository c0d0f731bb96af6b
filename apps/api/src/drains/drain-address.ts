import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a drain (and a webhook: webhooks/target.ts) may connect to. platd runs as root on the server,
 * and an app's author chooses both the drain's address and the bytes its
 * lines carry: a drain to 127.0.0.1:6379 or to the cloud's metadata service
 * would be a way in. So by default a drain reaches only public addresses;
 * PLAT_DRAINS_ALLOW_PRIVATE=1 lets it reach loopback, private networks and
 * this host's own addresses too (a syslog server on the LAN, tests), but
 * never link-local ones (169.254.169.254 is the metadata service).
 */

const never = new BlockList();
never.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network"
never.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, cloud metadata
never.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
never.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, broadcast
never.addAddress('::', 'ipv6');
never.addSubnet('fe80::', 10, 'ipv6'); // link-local
never.addSubnet('ff00::', 8, 'ipv6'); // multicast

const privateRanges = new BlockList();
privateRanges.addSubnet('127.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('10.0.0.0', 8, 'ipv4');
privateRanges.addSubnet('172.16.0.0', 12, 'ipv4');
privateRanges.addSubnet('192.168.0.0', 16, 'ipv4');
privateRanges.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
privateRanges.addSubnet('198.18.0.0', 15, 'ipv4'); // benchmarking
privateRanges.addSubnet('192.0.0.0', 24, 'ipv4'); // IETF protocol assignments
privateRanges.addAddress('::1', 'ipv6');
privateRanges.addSubnet('fc00::', 7, 'ipv6'); // unique local
privateRanges.addSubnet('64:ff9b:1::', 48, 'ipv6'); // local-use NAT64
privateRanges.addSubnet('64:ff9b::', 96, 'ipv6'); // NAT64 of any IPv4 address, a private one too
privateRanges.addSubnet('2002::', 16, 'ipv6'); // 6to4: an IPv4 address inside

/** An IPv4 address an IPv6 one carries (::ffff:127.0.0.1, ::ffff:7f00:1), or the address itself. */
export function unmapped(address: string): string {
  const mapped = /^::ffff:(?:0:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (mapped) {
    const high = Number.parseInt(mapped[1]!, 16);
    const low = Number.parseInt(mapped[2]!, 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  const dotted = /^::ffff:(?:0:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return dotted ? dotted[1]! : address;
}

export interface AddressRules {
  allowPrivate: boolean;
  /** This host's own addresses: reaching them is reaching platd's neighbours. */
  hostAddresses: readonly string[];
}

/** Why a drain may not connect to `address`, or undefined when it may. */
export function addressRefusal(address: string, rules: AddressRules): string | undefined {
  const ip = unmapped(address.toLowerCase());
  const family = isIP(ip);
  if (family === 0) return `${address} is not an IP address`;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (never.check(ip, type)) return `${ip} is a link-local, multicast or reserved address`;
  if (rules.allowPrivate) return undefined;
  if (privateRanges.check(ip, type))
    return `${ip} is a loopback or private address (PLAT_DRAINS_ALLOW_PRIVATE=1 allows it)`;
  if (rules.hostAddresses.some((own) => unmapped(own.toLowerCase()) === ip))
    return `${ip} is this server's own address (PLAT_DRAINS_ALLOW_PRIVATE=1 allows it)`;
  return undefined;
}

/** Names that always mean this host, refused before any lookup. */
export function isLocalName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}
