/**
 * IPv4 blocks for app networks, as plain arithmetic on 32-bit numbers: Plat
 * hands each app network a block of its own pool (PLAT_NETWORK_POOL) instead
 * of letting Docker take one of its default pools, which hold ~30 networks.
 * Nothing here touches the host: the routes and Docker's networks come in as
 * data.
 */

/** An IPv4 range: its first address as an unsigned number, and its prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

/** The private ranges of RFC 1918: the only ones a pool may come from. */
const PRIVATE: Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((text) => parseCidr(text));

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255))
    return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** `a.b.c.d/n` with no host bits set; throws saying what is wrong. */
export function parseCidr(text: string): Cidr {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const base = match ? parseIpv4(match[1]!) : undefined;
  const prefix = match ? Number(match[2]) : Number.NaN;
  if (base === undefined || !(prefix >= 0 && prefix <= 32))
    throw new Error(`${JSON.stringify(text)} is not an IPv4 CIDR`);
  if (base % sizeOf({ base, prefix }) !== 0)
    throw new Error(
      `${text} has host bits set (the range starts at ${formatIpv4(base - (base % 2 ** (32 - prefix)))})`,
    );
  return { base, prefix };
}

/** A subnet as Docker or a route gives it, host bits cleared; undefined when it is not IPv4. */
export function parseSubnet(text: string): Cidr | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const address = match ? parseIpv4(match[1]!) : undefined;
  const prefix = Number(match?.[2]);
  if (address === undefined || prefix > 32) return undefined;
  return { base: address - (address % 2 ** (32 - prefix)), prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`;
}

export function sizeOf(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** The last address of the range. */
function endOf(cidr: Cidr): number {
  return cidr.base + sizeOf(cidr) - 1;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= endOf(b) && b.base <= endOf(a);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && outer.base <= inner.base && endOf(inner) <= endOf(outer);
}

export function isPrivate(cidr: Cidr): boolean {
  return PRIVATE.some((range) => contains(range, cidr));
}

/** The block's gateway: its first host address, as Docker would choose. */
export function gatewayOf(block: Cidr): string {
  return formatIpv4(block.base + 1);
}

/** A pool cut into blocks of one size. */
export interface NetworkPool {
  pool: Cidr;
  blockPrefix: number;
}

export function blockCount({ pool, blockPrefix }: NetworkPool): number {
  return 2 ** (blockPrefix - pool.prefix);
}

/**
 * The pool's blocks that overlap none of `taken` (other apps' blocks,
 * Docker's networks, the host's routes), in address order, at most `limit`.
 * Ranges outside the pool are ignored; one larger than a block (a route to a
 * whole /12) rules out every block it covers.
 */
export function freeBlocks(network: NetworkPool, taken: Cidr[], limit = Number.POSITIVE_INFINITY): Cidr[] {
  const { pool, blockPrefix } = network;
  const step = 2 ** (32 - blockPrefix);
  const spans = taken
    .filter((range) => overlaps(range, pool))
    .map((range) => [range.base, endOf(range)] as const)
    .sort((a, b) => a[0] - b[0]);
  const free: Cidr[] = [];
  let first = 0;
  for (let base = pool.base; base <= endOf(pool) && free.length < limit; base += step) {
    const last = base + step - 1;
    // A span that ends before this block ends before every later one too.
    while (first < spans.length && spans[first]![1] < base) first += 1;
    let clash = false;
    for (let i = first; i < spans.length && spans[i]![0] <= last; i += 1) {
      if (spans[i]![1] >= base) {
        clash = true;
        break;
      }
    }
    if (!clash) free.push({ base, prefix: blockPrefix });
  }
  return free;
}

/** The first free block, or undefined when the pool is full. */
export function firstFreeBlock(network: NetworkPool, taken: Cidr[]): Cidr | undefined {
  return freeBlocks(network, taken, 1)[0];
}

/** A row of /proc/net/route. */
export interface HostRoute {
  iface: string;
  destination: Cidr;
}

const RTF_UP = 0x1;

/**
 * The routes of /proc/net/route that are up, except the default route (it
 * covers everything and says nothing). The kernel prints addresses as the
 * 32-bit words it holds: little-endian hosts show 10.213.0.0 as 0000D50A.
 */
export function parseRoutes(text: string, littleEndian = true): HostRoute[] {
  const word = (hex: string) => {
    const bytes = Buffer.from(hex, 'hex');
    return littleEndian ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0);
  };
  const routes: HostRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [iface, destination, , flags, , , , mask] = line.trim().split(/\s+/);
    const hex = /^[0-9A-Fa-f]{8}$/;
    if (!iface || !flags || !hex.test(destination ?? '') || !hex.test(mask ?? '')) continue;
    if ((Number.parseInt(flags, 16) & RTF_UP) === 0) continue;
    const prefix = prefixOf(word(mask!));
    if (prefix === undefined || prefix === 0) continue;
    const base = word(destination!);
    const size = 2 ** (32 - prefix);
    routes.push({ iface, destination: { base: base - (base % size), prefix } });
  }
  return routes;
}

/** The prefix length of a netmask, or undefined for one that is not contiguous. */
function prefixOf(mask: number): number | undefined {
  for (let prefix = 0; prefix <= 32; prefix += 1) if (mask === 2 ** 32 - 2 ** (32 - prefix)) return prefix;
  return undefined;
}
