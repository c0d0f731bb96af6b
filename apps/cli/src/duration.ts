import { PlatError } from '@plat/core';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90", "90s", "15m", "12h", "30d" as seconds (a bare number is seconds). */
export function parseDuration(text: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!match)
    throw new PlatError(
      'invalid_params',
      `Invalid duration ${JSON.stringify(text)}: use a number with s, m, h or d, such as 30d or 12h.`,
    );
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
  if (seconds < 1) throw new PlatError('invalid_params', 'A duration must be at least 1 second.');
  return seconds;
}
