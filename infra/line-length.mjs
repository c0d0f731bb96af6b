// `npm run lint`'s second half: the formatter wraps code at 120 columns but
// leaves long strings and comments alone, so this names every line still over.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 120;
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.sh', '*.mjs'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);
const over = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the working tree
  }
  text.split('\n').forEach((line, index) => {
    if (line.length > LIMIT) over.push(`${file}:${index + 1}: ${line.length} characters`);
  });
}
if (over.length > 0) {
  console.error(`${over.length} line(s) over ${LIMIT} characters:\n${over.join('\n')}`);
  process.exit(1);
}
