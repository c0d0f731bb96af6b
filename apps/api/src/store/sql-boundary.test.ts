/**
 * SQL lives only under store/: everything else calls store functions named
 * for what they do. This reads every source file outside store/ and names
 * each place that queries the database itself. Test files are left out: they
 * arrange and inspect rows of the database they own, which is what a store
 * function would hide from them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = dirname(dirname(fileURLToPath(import.meta.url)));
/** What a handle of the `postgres` library is called here: sql, this.#sql, platform.sql, tx, adminSql. */
const HANDLE = /^#?(sql|\w*Sql|tx)$/;
/** Methods that run SQL or open a transaction on a handle. */
const HANDLE_METHODS = new Set(['begin', 'savepoint', 'reserve', 'file', 'listen', 'notify', 'subscribe']);

function nameOf(node: ts.Node): string | undefined {
  if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  return undefined;
}

const isHandle = (node: ts.Node) => HANDLE.test(nameOf(node) ?? '');

/** Each line of `source` that queries a database, with why. */
function sqlIn(file: string, source: string): { line: number; why: string }[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: { line: number; why: string }[] = [];
  const flag = (node: ts.Node, why: string) =>
    found.push({ line: tree.getLineAndCharacterOfPosition(node.getStart(tree)).line + 1, why });
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node) && isHandle(node.tag)) flag(node, `${node.tag.getText(tree)}\`…\` query`);
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (isHandle(callee)) flag(node, `${callee.getText(tree)}(…) fragment`);
      if (ts.isPropertyAccessExpression(callee)) {
        const method = callee.name.text;
        if (method === 'unsafe') flag(node, `${callee.getText(tree)}(…) raw SQL`);
        else if (HANDLE_METHODS.has(method) && isHandle(callee.expression)) flag(node, `${callee.getText(tree)}(…)`);
      }
    }
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      const from = (node.moduleSpecifier as ts.StringLiteral).text;
      if (from === 'postgres') flag(node, "imports the 'postgres' library");
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    const source = entry.name.endsWith('.ts') && !/\.(test|d)\.ts$/.test(entry.name);
    return source ? [path] : [];
  });
}

describe('the SQL boundary', () => {
  it('finds queries, fragments, transactions, raw SQL and the library, not words in comments or strings', () => {
    const sample = [
      "import postgres from 'postgres';",
      "import type { Sql } from 'postgres';",
      'await platform.sql<Row[]>`select * from apps`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: sample source text for the checker
      'await this.#sql`insert into t ${this.#sql(rows)}`;',
      'await sql.begin(async (tx) => tx`delete from t`);',
      'await admin.unsafe(`create database x`);',
      '// sql`select 1` in a comment, and `plat pg:psql` in a string:',
      "const text = 'select 1 from sql';",
      'await findAddon(platform.sql, id);',
    ].join('\n');
    expect(sqlIn('sample.ts', sample)).toEqual([
      { line: 1, why: "imports the 'postgres' library" },
      { line: 3, why: 'platform.sql`…` query' },
      { line: 4, why: 'this.#sql`…` query' },
      { line: 4, why: 'this.#sql(…) fragment' },
      { line: 5, why: 'sql.begin(…)' },
      { line: 5, why: 'tx`…` query' },
      { line: 6, why: 'admin.unsafe(…) raw SQL' },
    ]);
  });

  it('holds: no SQL in apps/api/src outside store/', () => {
    const outside = sourceFiles(SRC).filter((path) => !relative(SRC, path).startsWith(`store${sep}`));
    expect(outside.length).toBeGreaterThan(20);
    const found = outside.flatMap((path) => {
      const file = relative(SRC, path).split(sep).join('/');
      return sqlIn(path, readFileSync(path, 'utf8')).map(({ line, why }) => `${file}:${line}: ${why}`);
    });
    expect(found, 'move these queries into a store/ module and call it').toEqual([]);
  });
});
