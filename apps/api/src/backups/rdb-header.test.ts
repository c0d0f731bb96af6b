import { describe, expect, it } from 'vitest';
import { compareKeys, parseKeyspace, rdbSourceCounts, readRdbHeader } from './rdb-header.js';

const str = (text: string) => Buffer.concat([Buffer.from([text.length]), Buffer.from(text)]);
/** The start of a Redis 7 RDB: magic, aux fields (one an int-encoded string), a function, SELECTDB 0, RESIZEDB. */
const snapshot = Buffer.concat([
  Buffer.from('REDIS0011'),
  Buffer.from([0xfa]),
  str('redis-ver'),
  str('7.0.15'),
  Buffer.from([0xfa]),
  str('redis-bits'),
  Buffer.from([0xc0, 64]),
  Buffer.from([0xfa]),
  str('ctime'),
  Buffer.from([0xc2, 1, 2, 3, 4]),
  Buffer.from([0xf5]),
  str('#!lua name=lib'),
  Buffer.from([0xfe, 0x00, 0xfb, 0x40 | (300 >> 8), 300 & 0xff, 0x01]),
  Buffer.from([0x00]),
  str('key'),
  str('value'),
]);

describe('the key count in an RDB header', () => {
  it("reads the first database's size and expiring keys", () => {
    const counts = readRdbHeader(snapshot)!;
    expect(counts).toEqual({ db: { index: 0, keys: 300, expires: 1 } });
    expect(rdbSourceCounts(counts)).toEqual({ db0: 300, 'db0 expiring': 1 });
  });

  it('waits for more bytes, knows an empty snapshot, refuses what is no RDB', () => {
    for (let end = 0; end < snapshot.indexOf(0xfb) + 3; end++)
      expect(readRdbHeader(snapshot.subarray(0, end))).toBeUndefined();
    expect(readRdbHeader(Buffer.concat([Buffer.from('REDIS0011'), Buffer.from([0xff])]))).toEqual({});
    expect(rdbSourceCounts({})).toEqual({});
    expect(() => readRdbHeader(Buffer.from('PGDMP0123456'))).toThrow('not an RDB');
    expect(() => readRdbHeader(Buffer.concat([Buffer.from('REDIS0011'), Buffer.from([0x00])]))).toThrow('unexpected');
  });
});

describe('comparing keys', () => {
  it('reads INFO keyspace', () => {
    expect(
      parseKeyspace('# Keyspace\r\ndb0:keys=21,expires=1,avg_ttl=0\r\ndb3:keys=2,expires=0,avg_ttl=0\r\n'),
    ).toEqual({
      db0: 21,
      db3: 2,
    });
  });

  it('allows keys whose TTL passed since the capture to be missing, nothing else', () => {
    const source = { db0: 21, 'db0 expiring': 2 };
    expect(compareKeys(source, { db0: 21 })).toEqual({ ok: true, keys: 21 });
    expect(compareKeys(source, { db0: 19 })).toEqual({ ok: true, keys: 19 });
    expect(compareKeys(source, { db0: 18 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('db0 has 18'),
    });
    expect(compareKeys(source, { db0: 22 }).ok).toBe(false);
    expect(compareKeys({}, {})).toEqual({ ok: true, keys: 0 });
    expect(compareKeys({}, { db0: 1 })).toMatchObject({ ok: false, keys: 0 });
    expect(compareKeys({}, { db0: 1 }).ok).toBe(false);
  });

  it('counts only the keys it compared and names the databases it did not', () => {
    const checked = compareKeys({ db0: 21, 'db0 expiring': 0 }, { db0: 21, db1: 5, db3: 1 });
    expect(checked).toEqual({ ok: true, keys: 21, notCompared: 'db1 (5 keys), db3 (1 key)' });
    expect(compareKeys({ db2: 4 }, { db2: 3 })).toMatchObject({ ok: false, keys: 3 });
  });
});
