import { PlatError } from '@plat/core';
import {
  blockCount,
  type Cidr,
  firstFreeBlock,
  formatCidr,
  freeBlocks,
  type NetworkPool,
  overlaps,
  parseSubnet,
} from '../controller/network-pool.js';
import type { SubnetSource, UsedSubnet } from '../controller/runtime.js';
import type { Sql } from '../store/database.js';
import { type BlockPicker, blockOf, moveBlock, reserveBlock } from '../store/network-blocks.js';

/**
 * App networks' subnets from PLAT_NETWORK_POOL: each app holds one block,
 * recorded in the state store with its row. A block is handed out only when
 * it overlaps no other app's block, no Docker network (other platds on the
 * same Engine share the pool) and no route of the host.
 */
export class AppSubnets implements SubnetSource {
  readonly #sql: Sql;
  readonly #pool: NetworkPool;
  readonly #inUse: () => Promise<UsedSubnet[]>;
  readonly #log: (line: string) => void;

  constructor(options: {
    sql: Sql;
    pool: NetworkPool;
    /** What the host uses already: the runtime's subnetsInUse. */
    inUse: () => Promise<UsedSubnet[]>;
    log: (line: string) => void;
  }) {
    this.#sql = options.sql;
    this.#pool = options.pool;
    this.#inUse = options.inUse;
    this.#log = options.log;
  }

  /**
   * Chooses blocks against what the host uses now (read once, here) and the
   * apps' blocks it is given; throws network_pool_exhausted when none is free.
   */
  async picker(refused: string[] = []): Promise<BlockPicker> {
    const used = [...(await this.#inUse()).map((entry) => entry.subnet), ...refused].flatMap(
      (text) => parseSubnet(text) ?? [],
    );
    return (taken) => {
      const apps = taken.flatMap((text) => parseSubnet(text) ?? []);
      const block = firstFreeBlock(this.#pool, [...apps, ...used]);
      if (!block) throw this.#exhausted(apps);
      return formatCidr(block);
    };
  }

  async blockOf(appId: string): Promise<string> {
    const recorded = await blockOf(this.#sql, appId);
    if (recorded) return recorded;
    const reserved = await reserveBlock(this.#sql, appId, await this.picker());
    // The app's row is gone, and with it its claim to a network.
    if (!reserved) throw new PlatError('not_found', `No app has the id ${appId}: its network is not made.`);
    return reserved;
  }

  async replace(appId: string, refused: string): Promise<string> {
    const block = await moveBlock(this.#sql, appId, await this.picker([refused]));
    this.#log(`network block ${refused} of app ${appId} is taken on this Docker Engine; the app moves to ${block}`);
    return block;
  }

  /**
   * platd's start: a pool that other networks or routes of this host cover
   * entirely is an error naming PLAT_NETWORK_POOL; blocks some of them
   * overlap are only left out.
   */
  async check(): Promise<void> {
    const pool = formatCidr(this.#pool.pool);
    const others = (await this.#inUse())
      .filter((entry) => !entry.own)
      .flatMap((entry) => {
        const cidr = parseSubnet(entry.subnet);
        return cidr && overlaps(cidr, this.#pool.pool) ? [{ ...entry, cidr }] : [];
      });
    if (others.length === 0) return;
    const total = blockCount(this.#pool);
    const free = freeBlocks(
      this.#pool,
      others.map((entry) => entry.cidr),
    ).length;
    const named = others
      .slice(0, 3)
      .map((entry) => `${entry.subnet} (${entry.what})`)
      .join(', ');
    if (free === 0) {
      throw new Error(
        `PLAT_NETWORK_POOL ${pool} clashes with networks already on this host: ${named}` +
          `${others.length > 3 ? ` and ${others.length - 3} more` : ''}; ` +
          'set PLAT_NETWORK_POOL to a private range none of them uses',
      );
    }
    this.#log(`PLAT_NETWORK_POOL ${pool}: ${total - free} of ${total} blocks overlap ${named} and are left out`);
  }

  #exhausted(apps: Cidr[]): PlatError {
    const { pool, blockPrefix } = this.#pool;
    const ours = apps.filter((cidr) => overlaps(cidr, pool)).length;
    const others = Math.max(0, blockCount(this.#pool) - ours);
    return new PlatError(
      'network_pool_exhausted',
      `No network block is free in PLAT_NETWORK_POOL (${formatCidr(pool)}, a /${blockPrefix} per app: ` +
        `${ours} held by apps, ${others} by other networks on this host): ` +
        'destroy an app, or give Plat a larger PLAT_NETWORK_POOL.',
    );
  }
}
