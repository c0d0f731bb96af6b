/**
 * Docker's classic builder narrates its own bookkeeping (intermediate
 * containers, layer ids); a pusher wants the steps and what they print.
 * Returns the line to show, or undefined to drop it.
 */
export function presentBuildLine(raw: string): string | undefined {
  // Colour codes (pip's warnings come in red) would reach the pusher as garbage.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes (ESC [ … m)
  const line = raw.replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
  if (line.trim() === '') return undefined;
  if (/^\s*---> (Running in|[0-9a-f]{12}$)/.test(line)) return undefined;
  if (/^Removing intermediate container /.test(line)) return undefined;
  if (/^Step \d+\/\d+ : LABEL /.test(line)) return undefined;
  if (/^Successfully (built|tagged) /.test(line)) return undefined;
  if (/^\s*---> Using cache$/.test(line)) return '       (using cache)';
  return line;
}
