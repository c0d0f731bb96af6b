import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { savedTags } from './images.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'saved-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function saved(entries: Record<string, string>): Promise<string> {
  const out = pack();
  for (const [name, text] of Object.entries(entries)) out.entry({ name }, text);
  out.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of out as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  const path = join(dir, `${Object.keys(entries).length}-${Math.random()}.tar`);
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

it('reads the tags a docker save tar would give, from manifest.json and the legacy repositories file', async () => {
  const path = await saved({
    'blobs/sha256/aa': 'layer',
    'manifest.json': JSON.stringify([{ RepoTags: ['plat/old1-shop:0b5e3c1a-111'] }, { RepoTags: null }]),
    repositories: JSON.stringify({ 'plat/stack': { latest: 'sha256:bb' } }),
    'index.json': JSON.stringify({
      manifests: [{ annotations: { 'io.containerd.image.name': 'docker.io/library/debian:12' } }],
    }),
  });
  // A legacy entry naming plat/stack:latest is seen, so the import can refuse it.
  expect((await savedTags(path)).sort()).toEqual(['debian:12', 'plat/old1-shop:0b5e3c1a-111', 'plat/stack:latest']);
});

it('refuses a tar without manifest.json', async () => {
  await expect(savedTags(await saved({ repositories: '{}' }))).rejects.toThrow(/no manifest.json/);
  await expect(savedTags(await saved({ 'manifest.json': 'not json' }))).rejects.toThrow(/manifest.json is not valid/);
});
