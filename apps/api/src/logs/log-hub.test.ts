/**
 * The log hub's store on both databases: lines come back in order, filtered,
 * bounded per app, and survive a new hub (platd restarting).
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertApp } from '../store/apps.js';
import type { Database } from '../store/database.js';
import { migrate, MIGRATIONS_DIR } from '../store/migrate.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { LogHub, MAX_LINES_PER_APP } from './log-hub.js';
import { RouterLogFiles } from './router-log.js';

describe.each(backends)('log hub on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let ownerId: string;
  const routerLogs = new RouterLogFiles({ dir: mkdtempSync(join(tmpdir(), 'plat-router-logs-')), reopen: () => {} });
  const newHub = () => new LogHub(database.sql, routerLogs);

  beforeAll(async () => {
    ({ database, dispose } = await backend.open());
    // Up to the migration before chunks, so the move of older lines is tested too.
    const before = mkdtempSync(join(tmpdir(), 'plat-migrations-'));
    for (const file of readdirSync(MIGRATIONS_DIR).filter((f) => f < '008'))
      cpSync(join(MIGRATIONS_DIR, file), join(before, file));
    await migrate(database.sql, before);
    rmSync(before, { recursive: true, force: true });
    ownerId = (await ensureUser(database.sql, 'logs@example.com', false)).id;
  });
  afterAll(async () => {
    await dispose?.();
    rmSync(routerLogs.dir, { recursive: true, force: true });
  });

  it('keeps the lines stored before chunks existed', async () => {
    // The schema of that time: store functions of today would ask for newer columns.
    const [row] = await database.sql<
      { id: string }[]
    >`insert into apps (name, owner_id) values ('old-logs', ${ownerId}) returning id`;
    const app = { id: row!.id, name: 'old-logs' };
    await database.sql`insert into log_lines (app_id, at, source, dyno, line) values
      (${app.id}, '2026-11-23T10:00:00.000Z', 'app', 'web.1', 'first'),
      (${app.id}, '2026-11-23T10:00:01.500Z', 'router', 'router', 'second')`;
    await migrate(database.sql);
    const hub = newHub();
    expect(await hub.recent(app, { lines: 10, filter: {} })).toEqual([
      { at: new Date('2026-11-23T10:00:00.000Z'), source: 'app', dyno: 'web.1', line: 'first' },
      { at: new Date('2026-11-23T10:00:01.500Z'), source: 'router', dyno: 'router', line: 'second' },
    ]);
    expect(await hub.lastAt(app.id)).toEqual(new Date('2026-11-23T10:00:00.000Z'));
  });

  it('returns the newest lines in order, filtered by source and dyno, after a restart', async () => {
    const app = (await insertApp(database.sql, 'chatty', ownerId))!;
    const hub = newHub();
    const at = new Date('2026-11-23T12:00:00.000Z');
    for (let i = 0; i < 30; i += 1) {
      hub.write(app.id, {
        source: 'app',
        dyno: `web.${(i % 2) + 1}`,
        line: `app ${i}`,
        at: new Date(at.getTime() + 2 * i),
      });
      hub.write(app.id, { source: 'plat', dyno: 'api', line: `plat ${i}`, at: new Date(at.getTime() + 2 * i + 1) });
      if (i % 7 === 0) await hub.flush(); // lines span several chunks
    }
    await hub.close();

    const restarted = newHub();
    const lines = (filter: object, count = 5) =>
      restarted.recent(app, { lines: count, filter }).then((rows) => rows.map((row) => row.line));
    expect(await lines({})).toEqual(['plat 27', 'app 28', 'plat 28', 'app 29', 'plat 29']);
    expect(await lines({ source: 'app' }, 3)).toEqual(['app 27', 'app 28', 'app 29']);
    expect(await lines({ dyno: 'web.1' }, 3)).toEqual(['app 24', 'app 26', 'app 28']);
    expect(await lines({ dyno: 'web' }, 2)).toEqual(['app 28', 'app 29']);
    expect(await lines({ dyno: 'worker' })).toEqual([]);
    expect(await restarted.lastAt(app.id)).toEqual(new Date(at.getTime() + 58));
  });

  it(`keeps the newest ${MAX_LINES_PER_APP} lines of an app and not many more`, async () => {
    const app = (await insertApp(database.sql, 'busy', ownerId))!;
    const hub = newHub();
    const total = MAX_LINES_PER_APP * 2 + 500;
    for (let i = 0; i < total; i += 1) {
      hub.write(app.id, { source: 'app', dyno: 'web.1', line: `request ${i}` });
      if (i % 1000 === 999) await hub.flush();
    }
    await hub.close();
    const all = await hub.recent(app, { lines: MAX_LINES_PER_APP, filter: {} });
    expect(all).toHaveLength(MAX_LINES_PER_APP);
    expect(all.at(-1)?.line).toBe(`request ${total - 1}`);
    expect(all[0]?.line).toBe(`request ${total - MAX_LINES_PER_APP}`);
    const [stored] = await database.sql<
      { lines: number }[]
    >`select sum(line_count)::int as lines from log_chunks where app_id = ${app.id}`;
    expect(stored!.lines).toBeGreaterThanOrEqual(MAX_LINES_PER_APP);
    expect(stored!.lines).toBeLessThan(MAX_LINES_PER_APP + 2_000 + 1_000);
  });

  it("merges the router's lines in by time, and leaves them out when filtered away", async () => {
    const app = (await insertApp(database.sql, 'merged', ownerId))!;
    const request = (seconds: number, path: string) =>
      [
        `${seconds}.000`,
        '-',
        'GET',
        path,
        'merged.localhost',
        'id',
        '127.0.0.1',
        'web.1',
        '0.001',
        '0.002',
        '200',
        '5',
      ].join('\t');
    writeFileSync(routerLogs.pathOf('merged'), `${request(1795460801, '/one')}\n${request(1795460803, '/three')}\n`);
    const hub = newHub();
    hub.write(app.id, { source: 'app', dyno: 'web.1', line: 'two', at: new Date(1795460802_000) });
    hub.write(app.id, { source: 'plat', dyno: 'api', line: 'four', at: new Date(1795460804_000) });
    const lines = async (filter: object, count = 10) =>
      (await hub.recent(app, { lines: count, filter })).map((row) => `${row.source}:${row.line.split(' ')[0]}`);
    expect(await lines({})).toEqual(['router:at=info', 'app:two', 'router:at=info', 'plat:four']);
    expect(await lines({}, 2)).toEqual(['router:at=info', 'plat:four']);
    expect(await lines({ source: 'router' })).toHaveLength(2);
    expect(await lines({ source: 'app' })).toEqual(['app:two']);
    expect(await lines({ dyno: 'web' })).toEqual(['app:two']);
    await hub.close();
  });

  it('drops the lines of an app destroyed before they were flushed, and keeps the others', async () => {
    const gone = (await insertApp(database.sql, 'gone', ownerId))!;
    const kept = (await insertApp(database.sql, 'kept', ownerId))!;
    const hub = newHub();
    hub.write(gone.id, { source: 'plat', dyno: 'api', line: 'about to go' });
    hub.write(kept.id, { source: 'plat', dyno: 'api', line: 'still here' });
    await database.sql`delete from apps where id = ${gone.id}`;
    await hub.close();
    expect((await hub.recent(kept, { lines: 10, filter: {} })).map((row) => row.line)).toEqual(['still here']);
    expect(await hub.recent(gone, { lines: 10, filter: {} })).toEqual([]);
  });
});
