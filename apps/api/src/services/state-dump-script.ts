import { PlatError } from '@plat/core';
import type { StateSchema } from '../store/state-schema.js';

/**
 * The check a foreign state dump passes before any of it reaches the state
 * database. `pg_restore --data-only --file` turns the dump into a psql
 * script without running it; this reads that script as psql will, line by
 * line, and lets through only what loads rows: the SET lines pg_restore
 * writes, COPY of this database's own tables from stdin (whose data lines
 * psql sends as data, never as SQL) and setval of its own sequences. Every
 * other statement of a dump (a table's definition, a function, a COPY FROM
 * PROGRAM, a large object, a psql meta-command) is raw SQL the dump's maker
 * chose, so it is refused. Pure: bytes in, a PlatError out.
 */

/** A SET line is longer than any statement pg_restore writes for rows; past this it is refused. */
const MAX_STATEMENT_BYTES = 64 * 1024;
const SHOWN = 60;

/** The SET lines pg_restore (15) writes before rows, each with the only value it is let through with. */
const SETTINGS: Record<string, RegExp> = {
  statement_timeout: /^\d+$/,
  lock_timeout: /^\d+$/,
  idle_in_transaction_session_timeout: /^\d+$/,
  transaction_timeout: /^\d+$/,
  // psql lexes what follows in this encoding: only UTF8, where no byte of a character is a quote or backslash.
  client_encoding: /^'UTF8'$/,
  standard_conforming_strings: /^on$/,
  check_function_bodies: /^false$/,
  xmloption: /^content$/,
  client_min_messages: /^warning$/,
  row_security: /^off$/,
  default_table_access_method: /^heap$/,
};

// An identifier as pg_dump writes one: plain, or double-quoted with nothing psql or a shell would read.
const IDENT = `(?:[a-z_][a-z0-9_$]*|"(?:[A-Za-z0-9_$ -]|"")+")`;
const SET_LINE = /^SET ([a-z_]+) = ([^;]*);$/;
const SEARCH_PATH = "SELECT pg_catalog.set_config('search_path', '', false);";
const COPY_LINE = new RegExp(String.raw`^COPY public\.(${IDENT})(?: \(${IDENT}(?:, ${IDENT})*\))? FROM stdin;$`);
const SETVAL_LINE = new RegExp(
  String.raw`^SELECT pg_catalog\.setval\('public\.(${IDENT})', -?\d{1,19}, (?:true|false)\);$`,
);
// pg_restore 15.14+ brackets its script with these (CVE-2025-8714): psql refuses meta-commands in between.
const RESTRICT_LINE = /^\\restrict ([A-Za-z0-9]{1,128})$/;
const UNRESTRICT_LINE = /^\\unrestrict ([A-Za-z0-9]{1,128})$/;

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replaceAll('""', '"') : identifier;
}

function shown(start: string): string {
  return start.slice(0, SHOWN).replace(/[^\x20-\x7e]/g, '?');
}

function refused(line: number, start: string): PlatError {
  return new PlatError(
    'invalid_params',
    `The state dump holds more than rows (line ${line}: ${shown(start)}); nothing was changed.`,
  );
}

/** Whether one complete line outside COPY data is one the rows of a dump need. */
function statementAllowed(text: string, schema: StateSchema): boolean {
  if (text === '' || text.startsWith('--') || text === SEARCH_PATH) return true;
  const set = SET_LINE.exec(text);
  if (set) return Object.hasOwn(SETTINGS, set[1]!) && SETTINGS[set[1]!]!.test(set[2]!);
  const copy = COPY_LINE.exec(text);
  if (copy) return schema.tables.has(unquote(copy[1]!));
  const setval = SETVAL_LINE.exec(text);
  if (setval) return schema.sequences.has(unquote(setval[1]!));
  return false;
}

const NEWLINE = 0x0a;

/**
 * Fed the script in chunks (a script is as large as the rows, so it is never
 * held whole): throws on the first line that is not rows, or at end() when a
 * COPY's data never ends. Lines end at LF only; a CR or NUL anywhere is
 * refused, as psql would read either as the end of a comment or a line where
 * this does not.
 */
export class StateScriptCheck {
  readonly #schema: StateSchema;
  #line = 1;
  /** The current line's bytes: all of a statement, the first few of a data line. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #copy: { line: number; start: string } | undefined;
  #restrictKey: string | undefined;
  #unrestricted = false;
  #statements = 0;

  constructor(schema: StateSchema) {
    this.#schema = schema;
  }

  write(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    while (from < bytes.length) {
      const end = bytes.indexOf(NEWLINE, from);
      const piece = bytes.subarray(from, end === -1 ? bytes.length : end);
      this.#take(piece);
      if (end === -1) return;
      this.#finishLine();
      from = end + 1;
    }
  }

  /** After the last chunk: a last line without a newline is still a line; an open COPY is refused. */
  end(): void {
    if (this.#pendingBytes > 0) this.#finishLine();
    if (this.#copy) throw refused(this.#copy.line, `${this.#copy.start} (its data never ends)`);
  }

  #take(piece: Buffer): void {
    if (piece.includes(0x0d) || piece.includes(0x00))
      throw refused(this.#line, Buffer.concat([...this.#pending, piece]).toString());
    // Data lines are only looked at for the `\.` that ends them: a few bytes are enough.
    const keep = this.#copy ? Math.max(0, SHOWN - this.#pendingBytes) : piece.length;
    if (this.#copy) {
      if (keep > 0) this.#pending.push(Buffer.from(piece.subarray(0, keep)));
      this.#pendingBytes += piece.length;
      return;
    }
    this.#pendingBytes += piece.length;
    if (this.#pendingBytes > MAX_STATEMENT_BYTES)
      throw refused(this.#line, Buffer.concat([...this.#pending, piece]).toString());
    this.#pending.push(Buffer.from(piece));
  }

  #finishLine(): void {
    const length = this.#pendingBytes;
    const text = Buffer.concat(this.#pending).toString();
    this.#pending = [];
    this.#pendingBytes = 0;
    const line = this.#line++;
    if (this.#copy) {
      if (length === 2 && text === '\\.') this.#copy = undefined;
      return;
    }
    this.#statement(text, line);
  }

  #statement(text: string, line: number): void {
    if (text === '' || text.startsWith('--')) return;
    const restrict = RESTRICT_LINE.exec(text);
    if (restrict && this.#restrictKey === undefined && this.#statements === 0) {
      this.#restrictKey = restrict[1]!;
      this.#statements++;
      return;
    }
    const unrestrict = UNRESTRICT_LINE.exec(text);
    if (unrestrict && unrestrict[1] === this.#restrictKey && !this.#unrestricted) {
      this.#unrestricted = true;
      return;
    }
    // After pg_restore's closing \unrestrict, only comments: anything more was not written by it.
    if (this.#unrestricted || !statementAllowed(text, this.#schema)) throw refused(line, text);
    this.#statements++;
    if (text.startsWith('COPY ')) this.#copy = { line, start: text };
  }
}

/** The whole check on a script held in memory (tests, small scripts). */
export function checkStateScript(script: string | Uint8Array, schema: StateSchema): void {
  const check = new StateScriptCheck(schema);
  check.write(typeof script === 'string' ? Buffer.from(script) : script);
  check.end();
}
