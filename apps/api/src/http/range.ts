import { PlatError } from '@plat/core';

/**
 * Heroku's list ranges (Platform API "Ranges"): `Range: name ..; max=200`,
 * `name ]last..; max=200; order=desc` (`]` makes the start exclusive, `[`
 * after the end makes it exclusive). Pure: the route reads the header, the
 * store pages by the bounds.
 */
export interface ListRange {
  field: string;
  start?: { value: string; exclusive: boolean };
  end?: { value: string; exclusive: boolean };
  order: 'asc' | 'desc';
  max: number;
}

export const DEFAULT_PAGE = 200;
export const MAX_PAGE = 1000;

const BOUND = /^[a-z0-9-]*$/;

function unsatisfiable(message: string): PlatError {
  return new PlatError('requested_range_not_satisfiable', message);
}

/**
 * The range a list request asks for; no header is the first page of `fields[0]`.
 * The field may be left out (`]last..; max=N`), as some clients echo Next-Range without it.
 */
export function parseRange(header: string | undefined, fields: readonly string[]): ListRange {
  const range: ListRange = { field: fields[0]!, order: 'asc', max: DEFAULT_PAGE };
  if (header === undefined || header.trim() === '') return range;
  // The header is the client's: quoted back short.
  const shown = header.length > 80 ? `${header.slice(0, 80)}…` : header;
  const [spec = '', ...params] = header.split(/[;,]/).map((part) => part.trim());
  const match = /^(?:([a-z_]+)\s+)?(\]?)([^\s.]*)\.\.([^\s.[]*)(\[?)$/.exec(spec);
  if (!match) throw unsatisfiable(`Malformed Range "${shown}": expected e.g. "name ..; max=${DEFAULT_PAGE}".`);
  const [, field = fields[0]!, startExclusive, start, end, endExclusive] = match as unknown as string[];
  if (!fields.includes(field!)) throw unsatisfiable(`Cannot range on "${field}": Accept-Ranges: ${fields.join(', ')}.`);
  range.field = field!;
  for (const [value, exclusive, key] of [
    [start, startExclusive, 'start'],
    [end, endExclusive, 'end'],
  ] as const) {
    if (!BOUND.test(value!)) throw unsatisfiable(`Malformed Range "${shown}": "${value}" is not a ${field}.`);
    if (value) range[key] = { value, exclusive: exclusive !== '' };
    else if (exclusive) throw unsatisfiable(`Malformed Range "${shown}": an exclusive bound needs a value.`);
  }
  for (const param of params.filter((part) => part !== '')) {
    const [key, value = ''] = param.split('=').map((part) => part.trim());
    if (key === 'max') {
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_PAGE)
        throw unsatisfiable(`Range max must be a whole number from 1 to ${MAX_PAGE}, not "${value}".`);
      range.max = Number(value);
    } else if (key === 'order') {
      if (value !== 'asc' && value !== 'desc') throw unsatisfiable(`Range order must be asc or desc, not "${value}".`);
      range.order = value;
    } else throw unsatisfiable(`Unknown Range parameter "${key}": use max and order.`);
  }
  return range;
}

/** The Range that asks for what comes after `last`, in the same order and page size. */
export function nextRange(range: ListRange, last: string): string {
  const end = range.end ? `${range.end.value}${range.end.exclusive ? '[' : ''}` : '';
  return `${range.field} ]${last}..${end}; max=${range.max}${range.order === 'desc' ? '; order=desc' : ''}`;
}
