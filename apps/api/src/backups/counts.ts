/**
 * What a check compares: the counts the source reported for the dump's own
 * snapshot against those of the copy restored from it. Pure.
 */

export type Counts = Record<string, number>;

export interface CountCheck {
  ok: boolean;
  /** Tables (or redis dbs) compared, and their rows (or keys) in all. */
  items: number;
  total: number;
  reason?: string;
}

const SHOWN = 3;

/** Every table of the source, with exactly its rows, and no other table: anything else names what differs. */
export function compareCounts(source: Counts, restored: Counts, unit = 'rows'): CountCheck {
  const problems: string[] = [];
  for (const [name, count] of Object.entries(source)) {
    const got = restored[name];
    if (got === undefined) problems.push(`${name} is missing`);
    else if (got !== count) problems.push(`${name} has ${got} ${unit}, the source had ${count}`);
  }
  for (const name of Object.keys(restored)) {
    if (!(name in source)) problems.push(`${name} was not in the source`);
  }
  const items = Object.keys(source).length;
  const total = Object.values(source).reduce((sum, n) => sum + n, 0);
  if (problems.length === 0) return { ok: true, items, total };
  const more = problems.length > SHOWN ? ` (and ${problems.length - SHOWN} more)` : '';
  return {
    ok: false,
    items,
    total,
    reason: `the restored copy differs: ${problems.slice(0, SHOWN).join('; ')}${more}`,
  };
}

/** A line `prefix{json}` of counts, as the count query prints it; throws on anything else. */
export function parseCounts(text: string): Counts {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('counts are not an object');
  const counts: Counts = {};
  for (const [name, count] of Object.entries(value)) {
    const n = Number(count);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad count for ${name}: ${JSON.stringify(count)}`);
    counts[name] = n;
  }
  return counts;
}

/** A bounded error text for a reason: the last lines that say something, at most 500 characters. */
export function shortReason(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const joined = lines.slice(-3).join(' / ');
  return joined.length > 500 ? `…${joined.slice(-500)}` : joined;
}
