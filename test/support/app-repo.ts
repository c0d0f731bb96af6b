import { cpSync, mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Platd } from './platd.js';
import { ROOT } from './platd.js';

/** A user's working copy of an example app: its own git repo with one commit on main. */
export async function exampleRepo(platd: Platd, example: string): Promise<string> {
  // Inside the test platd's scratch folder, so destroy() removes it too.
  const dir = mkdtempSync(join(dirname(platd.dataDir), `${example}-`));
  cpSync(join(ROOT, 'examples', example), dir, { recursive: true });
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', `${example}: first version`],
  ]) {
    const result = await platd.git(args, dir);
    if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.output}`);
  }
  return dir;
}
