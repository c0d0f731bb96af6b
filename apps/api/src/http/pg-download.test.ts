/**
 * A backup's download over the in-memory runtime (fastify inject): the dump
 * is opened before the answer starts, so one pruned meanwhile, or a link
 * where it was, is a not_found and never a broken 500.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../admin-token.js';
import { insertApp, type AppRow } from '../store/apps.js';
import { insertBackup } from '../store/pg-backups.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { buildServer } from './server.js';

let fake: FakePlatform;
let server: FastifyInstance;
let token: string;
let app: AppRow;
const dir = mkdtempSync(join(tmpdir(), 'plat-pg-download-'));

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!);
  server = await buildServer(fake.platform);
  ({ token } = await ensureAdminToken(fake.platform.sql, fake.platform.settings.dataDir));
  const admin = await ensureUser(fake.platform.sql, 'admin@plat.local', true);
  app = (await insertApp(fake.platform.sql, 'dumped', admin.id))!;
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const download = (ref: string) =>
  server.inject({
    method: 'GET',
    url: `/v1/apps/dumped/pg/backups/${ref}/download`,
    headers: { authorization: `Bearer ${token}` },
  });
const backup = (file: string) =>
  insertBackup(fake.platform.sql, { appId: app.id, addonName: 'postgres-a', file, sizeBytes: 999 });

describe('a backup download', () => {
  it("sends the dump with the open file's length", async () => {
    const file = join(dir, 'one.dump');
    writeFileSync(file, 'PGDMP dump bytes');
    const { number } = await backup(file);
    const answer = await download(`b${number}`);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(answer.headers['content-length']).toBe('16');
    expect(answer.headers['content-disposition']).toBe(`attachment; filename="dumped-b00${number}.dump"`);
    expect(answer.body).toBe('PGDMP dump bytes');
  });

  it('answers not_found for a dump pruned since its row was read', async () => {
    const file = join(dir, 'pruned.dump');
    const { number } = await backup(file);
    const answer = await download(`b${number}`);
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toEqual({
      id: 'not_found',
      message: `Backup b00${number} of dumped is no longer on the server (pruned): see plat pg:backups.`,
    });
  });

  it('does not follow a link where the dump was, and leaves its target as it was', async () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'not a dump');
    const link = join(dir, 'link.dump');
    symlinkSync(secret, link);
    const { number } = await backup(link);
    const answer = await download(`b${number}`);
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toMatchObject({ id: 'not_found' });
    expect(answer.body).not.toContain('not a dump');
    expect(readFileSync(secret, 'utf8')).toBe('not a dump');
  });

  it('answers not_found for a folder where the dump was', async () => {
    const folder = mkdtempSync(join(dir, 'folder-'));
    const { number } = await backup(folder);
    const answer = await download(`b${number}`);
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toEqual({
      id: 'not_found',
      message: `Backup b00${number} of dumped is not a regular file on the server.`,
    });
  });
});
