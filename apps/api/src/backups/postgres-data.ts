import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import type { AddonRow } from '../store/addons.js';
import { parseCounts, shortReason, type Counts } from './counts.js';
import { SessionLines } from './exec-lines.js';

/** psql/pg_dump arguments reaching the add-on's database from inside its container. */
export function libpq(addon: AddonRow): string[] {
  return ['-h', '/tmp', '-U', addon.credentials.user!, '-d', addon.credentials.database!];
}

/** All or nothing: --single-transaction stops at the first error (as --exit-on-error) and rolls back. */
export const RESTORE_FLAGS = [
  '--clean',
  '--if-exists',
  '--no-owner',
  '--no-privileges',
  '--single-transaction',
  '--exit-on-error',
];

/**
 * One JSON object, `"schema"."table"` -> exact count(*), of every table
 * pg_dump dumps the rows of: ordinary tables outside the system schemas
 * that no extension owns. query_to_xml runs each count inside the same
 * statement, so in the caller's transaction and snapshot.
 */
export const COUNT_QUERY = `select coalesce(json_object_agg(format('%I.%I', n.nspname, c.relname),
  (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname),
    false, true, '')))[1]::text::bigint), '{}')::text
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
  and not exists (select 1 from pg_depend d
    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')`;

/** psql reading statements from stdin, one answer line per query, stopping at the first error. */
export const PSQL_SESSION = ['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'];

/** How long a whole capture (snapshot, counts and pg_dump) may take before it is stopped. */
export const CAPTURE_TIMEOUT_MS = 60 * 60_000;

/**
 * The session's own limits off, as pg_dump sets them for itself: the
 * tenant's role or database may set them, and the session sits idle in its
 * transaction while pg_dump runs and counts may take long.
 */
const NO_LIMITS = 'set statement_timeout = 0; set lock_timeout = 0; set idle_in_transaction_session_timeout = 0;\n';

/**
 * pg_dump's custom format of the add-on's database, written to `out` (not
 * ended), and the exact row count of each table for the same moment: a
 * REPEATABLE READ transaction exports its snapshot, counts in it, and
 * pg_dump --snapshot dumps that snapshot; writes meanwhile are in neither.
 * One deadline bounds it all: past it, both backends (found by an
 * application_name of this capture's own) are terminated, so nothing keeps
 * working on the live database after the capture gave up.
 */
export async function capturePostgres(
  platform: Platform,
  addon: AddonRow,
  out: NodeJS.WritableStream,
  timeoutMs = CAPTURE_TIMEOUT_MS,
): Promise<Counts> {
  const tag = `plat-capture-${randomBytes(8).toString('hex')}`;
  const env = { PGAPPNAME: tag };
  const input = new PassThrough();
  const lines = new SessionLines();
  let stderr = '';
  const session = platform.addons
    .exec(addon, [...PSQL_SESSION, ...libpq(addon)], { stdin: input, stdout: lines.stream, env })
    .then((result) => {
      stderr = result.stderr;
      return result;
    })
    .finally(() => lines.end());
  const started = Date.now();
  const left = () => Math.max(1, timeoutMs - (Date.now() - started));
  let timedOut = false;
  let stopping: Promise<unknown> = Promise.resolve();
  const timer = setTimeout(() => {
    timedOut = true;
    input.end();
    stopping = terminate(platform, addon, tag).catch((error: Error) =>
      platform.log(`capture of ${addon.name}: stopping its sessions failed: ${error.message}`),
    );
  }, timeoutMs);
  const outOfTime = () => `the capture of ${addon.name} ran out of time (${Math.round(timeoutMs / 60_000)} min)`;
  const failed = () =>
    timedOut ? outOfTime() : `the snapshot session of ${addon.name} ended: ${shortReason(stderr) || 'no reason given'}`;
  try {
    input.write(NO_LIMITS);
    input.write('begin isolation level repeatable read read only;\n');
    input.write("select 'snapshot=' || pg_export_snapshot();\n");
    const snapshot = await lines.next('snapshot=', left(), failed);
    if (!/^[\w-]+$/.test(snapshot)) throw new Error(`unexpected snapshot id ${JSON.stringify(snapshot)}`);
    input.write(`select 'counts=' || (${COUNT_QUERY.replace(/\n/g, ' ')});\n`);
    const counts = parseCounts(await lines.next('counts=', left(), failed));
    const dump = await platform.addons.exec(addon, ['pg_dump', '-Fc', `--snapshot=${snapshot}`, ...libpq(addon)], {
      stdout: out,
      env,
    });
    if (timedOut) throw new Error(outOfTime());
    if (dump.exitCode !== 0) {
      throw new Error(`pg_dump of ${addon.name} failed (exit ${dump.exitCode}): ${dump.stderr.trim()}`);
    }
    input.end('commit;\n');
    const result = await session;
    if (result.exitCode !== 0) throw new Error(failed());
    return counts;
  } catch (error) {
    throw new PlatError('unavailable', timedOut ? outOfTime() : (error as Error).message);
  } finally {
    input.end();
    if (!timedOut && Date.now() - started < timeoutMs) {
      // Failed early: the session may still be counting on the live database; stop it rather than wait.
      const ended = await Promise.race([
        session.then(
          () => true,
          () => true,
        ),
        delay(1000),
      ]);
      if (!ended) await terminate(platform, addon, tag).catch(() => {});
    }
    clearTimeout(timer);
    await stopping;
    await session.catch(() => {});
  }
}

/** Terminates this capture's backends (a role may always terminate its own). */
async function terminate(platform: Platform, addon: AddonRow, tag: string): Promise<void> {
  const query = `select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = '${tag}'`;
  await platform.addons.exec(addon, ['psql', '-X', '-q', '-A', '-t', ...libpq(addon), '-c', query], {});
}

const delay = (ms: number) => new Promise<false>((resolve) => setTimeout(() => resolve(false), ms));

/** pg_dump's custom format of the add-on's database, written to `out` (not ended). */
export async function dumpPostgres(platform: Platform, addon: AddonRow, out: NodeJS.WritableStream): Promise<void> {
  await capturePostgres(platform, addon, out);
}

/**
 * pg_restore of a custom-format dump into the add-on, replacing what it
 * holds, in one transaction: a corrupt or truncated dump, or a restore cut
 * short, rolls back and leaves the data as it was.
 */
export async function loadPostgres(platform: Platform, addon: AddonRow, input: NodeJS.ReadableStream): Promise<void> {
  const result = await platform.addons.exec(addon, ['pg_restore', ...RESTORE_FLAGS, ...libpq(addon)], {
    stdin: input,
  });
  if (result.exitCode !== 0) {
    throw new PlatError(
      'unavailable',
      `pg_restore into ${addon.name} failed, and its data is as it was ` +
        `(exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
  }
}
