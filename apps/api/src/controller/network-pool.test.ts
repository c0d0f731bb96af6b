import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../config.js';
import {
  blockCount,
  contains,
  firstFreeBlock,
  formatCidr,
  freeBlocks,
  gatewayOf,
  isPrivate,
  overlaps,
  parseCidr,
  parseIpv4,
  parseRoutes,
  parseSubnet,
} from './network-pool.js';

const cidr = (text: string) => parseCidr(text);
const texts = (blocks: { base: number; prefix: number }[]) => blocks.map(formatCidr);

describe('IPv4 ranges', () => {
  it('parses and prints addresses and CIDRs, the top of the range too', () => {
    expect(parseIpv4('10.213.0.0')).toBe(0x0ad50000);
    expect(parseIpv4('255.255.255.255')).toBe(2 ** 32 - 1);
    for (const bad of ['10.213.0', '10.213.0.256', '10.213.0.01', '1.2.3.4.5', 'a.b.c.d', ''])
      expect(parseIpv4(bad), bad).toBeUndefined();
    expect(formatCidr(cidr('10.213.0.0/16'))).toBe('10.213.0.0/16');
    expect(formatCidr(cidr('255.255.255.0/24'))).toBe('255.255.255.0/24');
  });

  it('refuses a CIDR that is not one, or has host bits set, saying where the range starts', () => {
    expect(() => parseCidr('10.213.0.0')).toThrow('is not an IPv4 CIDR');
    expect(() => parseCidr('10.213.0.0/33')).toThrow('is not an IPv4 CIDR');
    expect(() => parseCidr('fd00::/8')).toThrow('is not an IPv4 CIDR');
    expect(() => parseCidr('10.213.1.0/16')).toThrow(
      '10.213.1.0/16 has host bits set (the range starts at 10.213.0.0)',
    );
  });

  it('reads subnets as others give them, host bits cleared, IPv6 left out', () => {
    expect(formatCidr(parseSubnet('172.17.0.1/16')!)).toBe('172.17.0.0/16');
    expect(parseSubnet('fd00::/64')).toBeUndefined();
    expect(parseSubnet('nonsense')).toBeUndefined();
  });

  it('tells overlap and containment apart, at the edges too', () => {
    expect(overlaps(cidr('10.0.0.0/26'), cidr('10.0.0.64/26'))).toBe(false);
    expect(overlaps(cidr('10.0.0.0/26'), cidr('10.0.0.63/32'))).toBe(true);
    expect(overlaps(cidr('10.0.0.0/8'), cidr('10.213.4.0/26'))).toBe(true);
    expect(contains(cidr('10.0.0.0/8'), cidr('10.213.4.0/26'))).toBe(true);
    expect(contains(cidr('10.213.4.0/26'), cidr('10.0.0.0/8'))).toBe(false);
  });

  it('knows the private ranges of RFC 1918, and only those', () => {
    for (const text of ['10.213.0.0/16', '172.16.0.0/12', '172.31.255.0/24', '192.168.0.0/16'])
      expect(isPrivate(cidr(text)), text).toBe(true);
    for (const text of ['172.32.0.0/16', '192.169.0.0/16', '100.64.0.0/16', '8.8.0.0/16', '10.0.0.0/7'])
      expect(isPrivate(cidr(text)), text).toBe(false);
  });

  it("gives a block's first host as its gateway", () => {
    expect(gatewayOf(cidr('10.213.0.64/26'))).toBe('10.213.0.65');
  });
});

describe('blocks of a pool', () => {
  const pool = { pool: cidr('10.213.0.0/24'), blockPrefix: 26 };

  it('cuts the pool into blocks and hands out the first free one', () => {
    expect(blockCount(pool)).toBe(4);
    expect(blockCount({ pool: cidr('10.213.0.0/16'), blockPrefix: 26 })).toBe(1024);
    expect(formatCidr(firstFreeBlock(pool, [])!)).toBe('10.213.0.0/26');
    expect(formatCidr(firstFreeBlock(pool, [cidr('10.213.0.0/26')])!)).toBe('10.213.0.64/26');
    // A freed block is handed out again before later ones.
    const taken = [cidr('10.213.0.64/26'), cidr('10.213.0.0/26'), cidr('10.213.0.192/26')];
    expect(formatCidr(firstFreeBlock(pool, taken)!)).toBe('10.213.0.128/26');
  });

  it('has none free when every block is taken', () => {
    expect(firstFreeBlock(pool, texts(freeBlocks(pool, [])).map(cidr))).toBeUndefined();
    expect(firstFreeBlock(pool, [cidr('10.0.0.0/8')])).toBeUndefined();
  });

  it('leaves out blocks that a smaller or larger range overlaps, and ignores ranges outside the pool', () => {
    const taken = [cidr('10.213.0.70/32'), cidr('10.213.0.128/25'), cidr('10.214.0.0/16'), cidr('172.17.0.0/16')];
    expect(texts(freeBlocks(pool, taken))).toEqual(['10.213.0.0/26']);
    // A large span sorted first must not hide a small one after it.
    const nested = [cidr('10.213.0.0/25'), cidr('10.213.0.1/32'), cidr('10.213.0.200/32')];
    expect(texts(freeBlocks(pool, nested))).toEqual(['10.213.0.128/26']);
  });

  it('stops at the limit, and walks a /16 of /28 blocks quickly', () => {
    const big = { pool: cidr('10.213.0.0/16'), blockPrefix: 28 };
    const taken = freeBlocks(big, []).slice(0, 4000);
    expect(taken).toHaveLength(4000);
    const started = performance.now();
    expect(texts(freeBlocks(big, taken, 2))).toEqual(['10.213.250.0/28', '10.213.250.16/28']);
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('the host routes of /proc/net/route', () => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'wg0\t0000D50A\t00000000\t0000\t0\t0\t0\t0000FFFF\t0\t0\t0',
    'tun0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0',
    'odd0\t0000000A\t00000000\t0001\t0\t0\t0\t00FF00FF\t0\t0\t0',
    '',
  ].join('\n');

  it('reads destinations little-endian, leaving out the default route, routes that are down and odd masks', () => {
    const routes = parseRoutes(table).map((r) => `${r.iface} ${formatCidr(r.destination)}`);
    expect(routes).toEqual(['docker0 172.17.0.0/16', 'eth0 192.0.2.0/24', 'tun0 10.0.0.0/8']);
  });

  it('reads them as they are on a big-endian host', () => {
    const bigEndian =
      'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth1\tC0A80100\t0\t0001\t0\t0\t0\tFFFFFF00';
    expect(parseRoutes(bigEndian, false).map((r) => formatCidr(r.destination))).toEqual(['192.168.1.0/24']);
  });
});

describe('PLAT_NETWORK_POOL and PLAT_NETWORK_BLOCK', () => {
  const settings = (env: Record<string, string>) => settingsFromEnv({ PLAT_DATA_DIR: '/tmp/plat-x', ...env });

  it('default to a private /16 in /26 blocks', () => {
    const { networkPool } = settings({});
    expect(formatCidr(networkPool.pool)).toBe('10.213.0.0/16');
    expect(networkPool.blockPrefix).toBe(26);
    const chosen = settings({ PLAT_NETWORK_POOL: '192.168.128.0/20', PLAT_NETWORK_BLOCK: '/24' }).networkPool;
    expect([formatCidr(chosen.pool), chosen.blockPrefix]).toEqual(['192.168.128.0/20', 24]);
  });

  it('refuse a public, too large, too small or malformed pool, and a block it cannot hold, naming the setting', () => {
    expect(() => settings({ PLAT_NETWORK_POOL: '8.8.0.0/16' })).toThrow(
      'PLAT_NETWORK_POOL must be inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, got 8.8.0.0/16',
    );
    expect(() => settings({ PLAT_NETWORK_POOL: '10.0.0.0/8' })).toThrow('PLAT_NETWORK_POOL must be a /16 to a /24');
    expect(() => settings({ PLAT_NETWORK_POOL: '10.213.0.0/25' })).toThrow('PLAT_NETWORK_POOL must be a /16 to a /24');
    expect(() => settings({ PLAT_NETWORK_POOL: '10.213.1.0/16' })).toThrow(/^PLAT_NETWORK_POOL .*host bits set/);
    expect(() => settings({ PLAT_NETWORK_POOL: 'ten' })).toThrow(/^PLAT_NETWORK_POOL must be a private IPv4 range/);
    expect(() => settings({ PLAT_NETWORK_BLOCK: '30' })).toThrow('PLAT_NETWORK_BLOCK must be a prefix length');
    expect(() => settings({ PLAT_NETWORK_BLOCK: '26x' })).toThrow('PLAT_NETWORK_BLOCK must be a prefix length');
    expect(() => settings({ PLAT_NETWORK_POOL: '10.213.0.0/24', PLAT_NETWORK_BLOCK: '22' })).toThrow(
      'PLAT_NETWORK_BLOCK /22 is larger than PLAT_NETWORK_POOL 10.213.0.0/24',
    );
  });
});
