/**
 * The check of a state dump's psql script: the script pg_restore writes for
 * the rows of a real Plat state passes; every line a crafted dump could add
 * to run more than rows is refused, by its line number.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHost } from '@plat/core/host-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertApp } from '../store/apps.js';
import { insertAudit } from '../store/audit.js';
import { migrate } from '../store/migrate.js';
import { ensureUser } from '../store/users.js';
import { backends, type TestDatabase } from '../testing/backends.js';
import { ownSchema, type StateSchema } from '../store/state-schema.js';
import { checkStateScript, StateScriptCheck } from './state-dump-script.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';

let state: TestDatabase;
let dir: string;
let script: string;
let schema: StateSchema;

beforeAll(async () => {
  state = await backends[0]!.open();
  const { sql, clientArgs } = state.database;
  await migrate(sql);
  const user = await ensureUser(sql, 'dev@example.com', true);
  const app = await insertApp(sql, 'rows-only', user.id);
  // Rows that look like SQL and psql commands, and a value that is the end-of-data marker itself.
  const tricky = "\\.\nCOPY public.apps FROM PROGRAM 'touch /tmp/x';\n\\! id\r\n\ttab";
  await insertAudit(sql, { appId: app!.id, appName: 'rows-only', actor: tricky, action: '\\.', data: { tricky } });
  dir = mkdtempSync(join(tmpdir(), 'plat-state-script-'));
  const dump = join(dir, 'state.dump');
  const dumped = await runHost(join(PG_BIN, 'pg_dump'), [...clientArgs, '--format=custom', '--no-owner', '-f', dump]);
  expect(dumped.code, dumped.output).toBe(0);
  const written = await runHost(join(PG_BIN, 'pg_restore'), ['--data-only', '--file', join(dir, 'rows.sql'), dump]);
  expect(written.code, written.output).toBe(0);
  script = readFileSync(join(dir, 'rows.sql'), 'utf8');
  schema = await ownSchema(sql);
}, 60_000);

afterAll(async () => {
  await state?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The real script with `line` put in before its first COPY (or in place of `replace`). */
function tampered(line: string, replace?: RegExp): string {
  if (replace) return script.replace(replace, line);
  const at = script.indexOf('\nCOPY ') + 1;
  return `${script.slice(0, at)}${line}\n${script.slice(at)}`;
}

const lineOf = (text: string, start: string) => text.slice(0, text.indexOf(start)).split('\n').length;

describe('the script of a state dump', () => {
  it('passes for the rows of a real Plat state, fed whole or a few bytes at a time', () => {
    expect(script).toContain('COPY public.apps (');
    expect(script).toContain("SELECT pg_catalog.setval('public.audit_events_id_seq', 1, true);");
    expect(() => checkStateScript(script, schema)).not.toThrow();
    const check = new StateScriptCheck(schema);
    const bytes = Buffer.from(script);
    for (let at = 0; at < bytes.length; at += 7) check.write(bytes.subarray(at, at + 7));
    expect(() => check.end()).not.toThrow();
  });

  it('takes data lines as data, whatever they look like', () => {
    const copy = 'COPY public.users (id, email) FROM stdin;';
    const rows = `${copy}\n\\! touch /tmp/x\nDROP TABLE apps;\n\\\\.\n\\.\n`;
    expect(() => checkStateScript(rows, schema)).not.toThrow();
  });

  it.each([
    ['COPY FROM PROGRAM', "COPY public.apps (id) FROM PROGRAM 'touch /tmp/plat-owned';"],
    ['COPY TO a file', "COPY public.apps (id) TO '/tmp/plat-owned';"],
    ['a psql shell escape', '\\! touch /tmp/plat-owned'],
    ['another psql meta-command', '\\o /tmp/plat-owned'],
    ['a function', 'CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;'],
    ['a large object', "SELECT pg_catalog.lo_export(16384, '/tmp/plat-owned');"],
    ['an unknown table', 'COPY public.not_ours (id) FROM stdin;'],
    ['a table of another schema', 'COPY pg_catalog.pg_authid (rolname) FROM stdin;'],
    ['a setval of an unknown sequence', "SELECT pg_catalog.setval('public.not_ours_seq', 5, true);"],
    ['a setting not among those for rows', 'SET session_replication_role = origin;'],
    ['an encoding whose bytes psql reads otherwise', "SET client_encoding = 'SJIS';"],
    ['a statement over two lines', 'SET lock_timeout\n= 0;'],
    ['an end-of-data marker outside COPY', '\\.'],
  ])('refuses %s, naming its line', (_what, line) => {
    const text = tampered(line);
    const first = line.split('\n')[0]!;
    expect(() => checkStateScript(text, schema)).toThrow(
      `The state dump holds more than rows (line ${lineOf(text, `\n${first}\n`) + 1}: ${first.slice(0, 60)}`,
    );
  });

  it('refuses a COPY whose data never ends', () => {
    const text = script.slice(0, script.lastIndexOf('\\.\n'));
    const last = text.slice(text.lastIndexOf('\nCOPY ') + 1).split('\n')[0]!;
    expect(() => checkStateScript(text, schema)).toThrow(
      /^The state dump holds more than rows \(line \d+: COPY public\./,
    );
    expect(() => checkStateScript(text, schema)).toThrow(`(line ${lineOf(text, `\n${last}\n`) + 1}:`);
  });

  it('refuses a CR, which psql reads as the end of a comment', () => {
    const text = tampered('-- harmless\rDROP TABLE public.apps;');
    expect(() => checkStateScript(text, schema)).toThrow(/line \d+: -- harmless\?DROP TABLE/);
    expect(() => checkStateScript(`${text.replace('\r', '\0')}`, schema)).toThrow(/more than rows/);
  });

  it("refuses anything after pg_restore's closing \\unrestrict, and a second \\restrict", () => {
    expect(script).toMatch(/^\\restrict \w+$/m);
    expect(() => checkStateScript(`${script}SET lock_timeout = 0;\n`, schema)).toThrow(/more than rows/);
    expect(() => checkStateScript(tampered('\\restrict abc'), schema)).toThrow(/line \d+: \\restrict abc/);
    expect(() => checkStateScript(tampered('\\unrestrict abc'), schema)).toThrow(/line \d+: \\unrestrict abc/);
  });
});
