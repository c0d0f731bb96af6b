import { describe, expect, it } from 'vitest';
import { nextRange, parseRange } from './range.js';

const FIELDS = ['name'];

describe('parseRange', () => {
  it('reads the first page by default, and the forms Heroku documents', () => {
    expect(parseRange(undefined, FIELDS)).toEqual({ field: 'name', order: 'asc', max: 200 });
    expect(parseRange('name ..', FIELDS)).toEqual({ field: 'name', order: 'asc', max: 200 });
    expect(parseRange('name ..; max=10', FIELDS)).toEqual({ field: 'name', order: 'asc', max: 10 });
    expect(parseRange('name ..; max=10, order=desc;', FIELDS)).toEqual({ field: 'name', order: 'desc', max: 10 });
    expect(parseRange('name ]app-7..; max=1000', FIELDS)).toEqual({
      field: 'name',
      start: { value: 'app-7', exclusive: true },
      order: 'asc',
      max: 1000,
    });
    expect(parseRange('name b..f[', FIELDS)).toMatchObject({
      start: { value: 'b', exclusive: false },
      end: { value: 'f', exclusive: true },
    });
    // Next-Range echoed without its field.
    expect(parseRange(']app-7..; max=5', FIELDS)).toMatchObject({ field: 'name', start: { value: 'app-7' } });
  });

  it.each([
    ['name', /Malformed Range/],
    ['name ..; max=0', /max must be a whole number from 1 to 1000, not "0"/],
    ['name ..; max=1001', /from 1 to 1000/],
    ['name ..; max=ten', /not "ten"/],
    ['name ..; order=sideways', /order must be asc or desc/],
    ['name ..; limit=5', /Unknown Range parameter "limit"/],
    ['id ..', /Cannot range on "id": Accept-Ranges: name/],
    ['name ]..', /an exclusive bound needs a value/],
    ['name A;B..', /Malformed Range|is not a name/],
    ['bytes=0-100', /Malformed Range/],
  ])('refuses %j with 416', (header, message) => {
    expect(() => parseRange(header, FIELDS)).toThrow(message);
    expect(() => parseRange(header, FIELDS)).toThrow(expect.objectContaining({ status: 416 }));
  });
});

describe('nextRange', () => {
  it('starts after the last name, keeping the page size, the order and the end', () => {
    expect(nextRange(parseRange(undefined, FIELDS), 'app-199')).toBe('name ]app-199..; max=200');
    expect(nextRange(parseRange('name ..; max=5; order=desc', FIELDS), 'm')).toBe('name ]m..; max=5; order=desc');
    expect(nextRange(parseRange('name a..q[', FIELDS), 'c')).toBe('name ]c..q[; max=200');
    const again = parseRange(nextRange(parseRange('name ..; max=5', FIELDS), 'app-1'), FIELDS);
    expect(again).toMatchObject({ start: { value: 'app-1', exclusive: true }, max: 5 });
  });
});
