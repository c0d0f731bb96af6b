/** How the CLI lays out what the API returns: section headers, aligned tables, relative times. */
import type pc from 'picocolors';

type Colors = ReturnType<typeof pc.createColors>;
const plain = (text: unknown) => String(text);

/** `=== title`, Heroku's section header: the marker dim and the title bold where colours are on. */
export function header(title: string, colors: Pick<Colors, 'bold' | 'dim'> = { bold: plain, dim: plain }): string {
  return `${colors.dim('===')} ${colors.bold(title)}`;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "2 minutes ago", for tables; JSON output keeps ISO times. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') return relative.format(Math.trunc(seconds / size), unit);
  }
  return iso;
}

/** Columns padded to their widest cell, a header and a rule under it. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)];
}

/** `Key: value` lines with the values aligned. */
export function keyValues(pairs: [string, string][]): string[] {
  const width = Math.max(0, ...pairs.map(([key]) => key.length)) + 1;
  return pairs.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`);
}
