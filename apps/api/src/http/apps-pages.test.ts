/**
 * GET /v1/apps a page at a time, as Heroku's Platform API pages lists:
 * Range, 206 + Next-Range, 200 on the last page, 416 for a malformed Range,
 * and each user seeing exactly their apps across pages. The apps are rows
 * only (no dynos), put in with one statement to keep the test fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { startTestPlatform, type TestPlatform } from '../testing/platform.js';

const name = (n: number) => `app-${String(n).padStart(3, '0')}`;
const names = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => name(from + i));

describe('GET /v1/apps pages', () => {
  let t: TestPlatform;
  let bob: string;

  const list = async (token: string, range?: string) => {
    const response = await t.server.inject({
      method: 'GET',
      url: '/v1/apps',
      headers: { authorization: `Bearer ${token}`, ...(range === undefined ? {} : { range }) },
    });
    const body = JSON.parse(response.body) as { name: string; id?: string; message?: string }[] & {
      id?: string;
      message?: string;
    };
    return { status: response.statusCode, headers: response.headers, body };
  };

  /** Every page from the first, as the client follows them; the names in order. */
  const all = async (token: string, first?: string) => {
    const seen: string[] = [];
    const statuses: number[] = [];
    let range = first;
    do {
      const page = await list(token, range);
      statuses.push(page.status);
      seen.push(...page.body.map((app) => app.name));
      range = page.headers['next-range'] as string | undefined;
    } while (range !== undefined && statuses.length < 20);
    return { names: seen, statuses };
  };

  beforeAll(async () => {
    t = await startTestPlatform(backends[0]!);
    const created = await t.server.inject({
      method: 'POST',
      url: '/v1/users',
      headers: { authorization: `Bearer ${t.adminToken}` },
      payload: { email: 'bob@example.com' },
    });
    bob = (JSON.parse(created.body) as { token: string }).token;
    const { sql } = t.platform;
    // 250 apps of the admin's, then bob owns every tenth and collaborates on every 25th.
    const [admin] = await sql<{ id: string }[]>`select id from users where admin order by created_at limit 1`;
    const [bobRow] = await sql<{ id: string }[]>`select id from users where email = 'bob@example.com'`;
    await sql`
      insert into apps (name, owner_id)
      select 'app-' || lpad(n::text, 3, '0'), ${admin!.id} from generate_series(1, 250) n`;
    await sql`update apps set owner_id = ${bobRow!.id} where right(name, 1) = '0'`;
    await sql`
      insert into collaborators (app_id, user_id)
      select id, ${bobRow!.id} from apps where substr(name, 5)::int % 25 = 3`;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers the first 200 with 206 and Next-Range, then the last 50 with 200', async () => {
    const first = await list(t.adminToken);
    expect(first.status).toBe(206);
    expect(first.body.map((app) => app.name)).toEqual(names(1, 200));
    expect(first.headers['accept-ranges']).toBe('name');
    expect(first.headers['content-range']).toBe('name app-001..app-200');
    expect(first.headers['next-range']).toBe('name ]app-200..; max=200');

    const second = await list(t.adminToken, first.headers['next-range'] as string);
    expect(second.status).toBe(200);
    expect(second.body.map((app) => app.name)).toEqual(names(201, 250));
    expect(second.headers['next-range']).toBeUndefined();
    expect(second.headers['content-range']).toBe('name app-201..app-250');
    // Each item is the whole app, as GET /v1/apps/:app shows it.
    const [shown] = second.body;
    expect(shown).toMatchObject({ name: 'app-201', owner: expect.stringContaining('@'), maintenance: false });
    expect(shown).toMatchObject({ git_url: expect.stringMatching(/\/git\/app-201\.git$/) });
  });

  it('takes max=, order=desc and an exclusive start', async () => {
    const small = await list(t.adminToken, 'name ..; max=7');
    expect({ status: small.status, names: small.body.map((app) => app.name) }).toEqual({
      status: 206,
      names: names(1, 7),
    });
    expect(small.headers['next-range']).toBe('name ]app-007..; max=7');
    expect(await all(t.adminToken, 'name ..; max=1000')).toEqual({ names: names(1, 250), statuses: [200] });

    const desc = await list(t.adminToken, 'name ..; max=100; order=desc');
    expect(desc.status).toBe(206);
    expect(desc.body.map((app) => app.name)).toEqual(names(151, 250).reverse());
    expect(desc.headers['next-range']).toBe('name ]app-151..; max=100; order=desc');
    const descending = await all(t.adminToken, 'name ..; max=100; order=desc');
    expect(descending).toEqual({ names: names(1, 250).reverse(), statuses: [206, 206, 200] });

    const after = await list(t.adminToken, 'name ]app-245..');
    expect({ status: after.status, names: after.body.map((app) => app.name) }).toEqual({
      status: 200,
      names: names(246, 250),
    });
    const past = await list(t.adminToken, 'name ]app-250..');
    expect({ status: past.status, body: past.body, range: past.headers['content-range'] }).toEqual({
      status: 200,
      body: [],
      range: undefined,
    });
  });

  it.each([
    ['name', 'Malformed Range "name": expected e.g. "name ..; max=200".'],
    ['name ..; max=1001', 'Range max must be a whole number from 1 to 1000, not "1001".'],
    ['name ..; max=0', 'Range max must be a whole number from 1 to 1000, not "0".'],
    ['id ..', 'Cannot range on "id": Accept-Ranges: name.'],
    ['name ..; order=up', 'Range order must be asc or desc, not "up".'],
  ])('refuses the malformed Range %j with 416', async (range, message) => {
    const refused = await list(t.adminToken, range);
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 416,
      body: { id: 'requested_range_not_satisfiable', message },
    });
  });

  it('pages each user through exactly their apps: owned and collaborated on; admins see all', async () => {
    const bobs = [...names(1, 250).filter((app) => app.endsWith('0') || Number(app.slice(4)) % 25 === 3)].sort();
    expect(bobs).toHaveLength(35);
    expect(await all(bob, 'name ..; max=10')).toEqual({ names: bobs, statuses: [206, 206, 206, 200] });
    expect(await all(bob)).toEqual({ names: bobs, statuses: [200] });
    expect(await all(t.adminToken, 'name ..; max=100')).toEqual({ names: names(1, 250), statuses: [206, 206, 200] });
  });

  it('documents the Range, Next-Range and the 206 in the OpenAPI document', async () => {
    const doc = JSON.parse((await t.server.inject({ method: 'GET', url: '/v1/openapi.json' })).body);
    const operation = doc.paths['/v1/apps'].get;
    expect(operation.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'range' }));
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '206', '416']));
    expect(Object.keys(operation.responses['206'].headers)).toEqual(['Accept-Ranges', 'Content-Range', 'Next-Range']);
  });

  it('pages from an index: a page costs the same at 300 apps as at 3', async () => {
    // Keyset by name: apps.name's unique index yields the page in order, with no sort of the whole table
    // (scans of the whole table off, as a table this small would tempt the planner to read it all).
    const plan = await t.platform.sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      await tx`set local enable_bitmapscan = off`;
      return tx.unsafe(`explain select name from apps where name > 'app-100' order by name desc limit 201`);
    });
    const text = plan.map((row) => Object.values(row)[0]).join('\n');
    expect(text).toMatch(/Index (Only )?Scan Backward using apps_name_key/);
    expect(text).not.toMatch(/Sort/);
  });
});
