/**
 * The key count a Redis snapshot holds, read from the snapshot itself: at
 * the fork that makes an RDB, Redis writes each database's size (and how
 * many of its keys expire) in a RESIZEDB record before its keys. That is
 * the only count of exactly that moment (DBSIZE before or after is another
 * moment), so capture reads it from the stream as it passes. Pure.
 *
 * Only the header up to the first database's RESIZEDB is read: the keys
 * after it cannot all be skipped without parsing every type (modules
 * included), so databases past the first are not counted here, and the
 * check says they were not compared (compareKeys).
 */

export interface RdbCounts {
  /** The first non-empty database: its number, keys and keys with a TTL; none for an empty snapshot. */
  db?: { index: number; keys: number; expires: number };
}

const MAX_HEADER = 1024 * 1024;

class Short extends Error {}

/** Reads from a buffer that may end too early (Short: wait for more bytes). */
class Cursor {
  offset = 0;
  constructor(readonly buffer: Buffer) {}

  byte(): number {
    if (this.offset >= this.buffer.length) throw new Short();
    return this.buffer[this.offset++]!;
  }

  skip(n: number): void {
    if (this.offset + n > this.buffer.length) throw new Short();
    this.offset += n;
  }

  bytes(n: number): Buffer {
    this.skip(n);
    return this.buffer.subarray(this.offset - n, this.offset);
  }

  /** RDB's length encoding: [special encoding flag, value]. */
  length(): { special: boolean; value: number } {
    const first = this.byte();
    const kind = first >> 6;
    if (kind === 0) return { special: false, value: first & 0x3f };
    if (kind === 1) return { special: false, value: ((first & 0x3f) << 8) | this.byte() };
    if (kind === 3) return { special: true, value: first & 0x3f };
    if (first === 0x80) return { special: false, value: this.bytes(4).readUInt32BE(0) };
    if (first === 0x81) return { special: false, value: Number(this.bytes(8).readBigUInt64BE(0)) };
    throw new Error(`unknown length encoding 0x${first.toString(16)}`);
  }

  /** Skips a string: plain, an integer (1, 2 or 4 bytes) or LZF-compressed. */
  skipString(): void {
    const { special, value } = this.length();
    if (!special) this.skip(value);
    else if (value <= 2) this.skip(2 ** value);
    else if (value === 3) {
      const compressed = this.length().value;
      this.length();
      this.skip(compressed);
    } else throw new Error(`unknown string encoding ${value}`);
  }
}

/** undefined: more bytes needed; throws when it is no RDB this can read. */
export function readRdbHeader(buffer: Buffer): RdbCounts | undefined {
  const cursor = new Cursor(buffer);
  try {
    const magic = cursor.bytes(9).toString('latin1');
    if (!/^REDIS\d{4}$/.test(magic)) throw new Error('not an RDB snapshot');
    for (;;) {
      const opcode = cursor.byte();
      if (opcode === 0xfa) {
        cursor.skipString();
        cursor.skipString();
      } else if (opcode === 0xf5 || opcode === 0xf6) {
        cursor.skipString();
      } else if (opcode === 0xfe) {
        const index = cursor.length().value;
        if (cursor.byte() !== 0xfb) throw new Error('no RESIZEDB record after SELECTDB');
        const keys = cursor.length().value;
        const expires = cursor.length().value;
        return { db: { index, keys, expires } };
      } else if (opcode === 0xff) {
        return {};
      } else {
        throw new Error(`unexpected RDB record 0x${opcode.toString(16)} before the first database`);
      }
    }
  } catch (error) {
    if (error instanceof Short) {
      if (buffer.length >= MAX_HEADER) throw new Error('the RDB header is too long');
      return undefined;
    }
    throw error;
  }
}

/** Counts as backups keep them: `db0` -> keys, `db0 expiring` -> those with a TTL. */
export function rdbSourceCounts(counts: RdbCounts): Record<string, number> {
  if (!counts.db) return {};
  const name = `db${counts.db.index}`;
  return { [name]: counts.db.keys, [`${name} expiring`]: counts.db.expires };
}

/** `db0:keys=12,expires=3,avg_ttl=0` lines of INFO keyspace -> db0 -> keys. */
export function parseKeyspace(info: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of info.matchAll(/^(db\d+):keys=(\d+),/gm)) counts[match[1]!] = Number(match[2]);
  return counts;
}

/**
 * The restored copy against the snapshot: the snapshot's first non-empty
 * database holds between its keys less those with a TTL (a key whose TTL
 * passed since the capture is not loaded) and its keys. The header says
 * nothing of the databases after it, so their keys are not compared: they
 * are named in notCompared, and `keys` counts only the keys compared.
 */
export function compareKeys(
  source: Record<string, number>,
  restored: Record<string, number>,
): { ok: boolean; keys: number; reason?: string; notCompared?: string } {
  const name = Object.keys(source).find((key) => /^db\d+$/.test(key));
  const total = Object.values(restored).reduce((sum, n) => sum + n, 0);
  if (!name) {
    return total === 0
      ? { ok: true, keys: 0 }
      : { ok: false, keys: 0, reason: `the snapshot was empty, the restored copy has ${total} keys` };
  }
  const keys = source[name]!;
  const expiring = source[`${name} expiring`] ?? 0;
  const got = restored[name] ?? 0;
  const others = Object.entries(restored).filter(([db, n]) => db !== name && n > 0);
  const notCompared = others.map(([db, n]) => `${db} (${n} ${n === 1 ? 'key' : 'keys'})`).join(', ');
  const more = notCompared ? { notCompared } : {};
  if (got <= keys && got >= keys - expiring) return { ok: true, keys: got, ...more };
  return {
    ok: false,
    keys: got,
    reason: `the restored copy differs: ${name} has ${got} keys, the snapshot had ${keys}`,
    ...more,
  };
}
