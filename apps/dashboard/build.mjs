// Bundles the dashboard into dist/: one JS and one CSS file named by their
// content hash (cached for a year by platd), their .gz beside them (served
// precompressed), and an index.html that names them. No inline script or
// style, so platd's Content-Security-Policy can forbid both.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = import.meta.dirname;
const dist = join(here, 'dist');

const result = await build({
  entryPoints: [join(here, 'src/main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: 'out',
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const names = {};
for (const file of result.outputFiles) {
  const ext = file.path.endsWith('.css') ? 'css' : 'js';
  const hash = createHash('sha256').update(file.contents).digest('hex').slice(0, 12);
  const name = `assets/dashboard-${hash}.${ext}`;
  names[ext] = name;
  write(name, file.contents);
}

const icon = readFileSync(join(here, 'src/icon.svg'));
write('assets/icon.svg', icon);
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plat</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/${names.css}">
<script type="module" src="/${names.js}"></script>
</head>
<body><div id="root"></div><noscript>The Plat dashboard needs JavaScript.</noscript></body>
</html>
`;
write('index.html', html);

function write(name, contents) {
  writeFileSync(join(dist, name), contents);
  // Every file is text: platd serves the .gz to any browser that takes gzip.
  writeFileSync(join(dist, `${name}.gz`), gzipSync(contents, { level: 9 }));
}
