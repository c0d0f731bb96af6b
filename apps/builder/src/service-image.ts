import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE_LABELS, serviceImageTag, STACK_IMAGE } from '@plat/core';
import type { ImageBuilder } from './image-builder.js';

/**
 * An image for a backing service (an add-on), built locally on the stack
 * from a Dockerfile and a few files; tagged by their hash, so it is built
 * once and reused until the recipe changes.
 */
export async function ensureServiceImage(
  builder: ImageBuilder,
  recipe: { name: string; dockerfile: string; files?: Record<string, string> },
  log: (line: string) => void = () => {},
): Promise<string> {
  const stack = (await builder.labels(STACK_IMAGE))?.[IMAGE_LABELS.stackRecipe] ?? '';
  const hash = createHash('sha256')
    .update(stack)
    .update(recipe.dockerfile)
    .update(JSON.stringify(recipe.files ?? {}))
    .digest('hex')
    .slice(0, 12);
  const tag = serviceImageTag(recipe.name, hash);
  if (await builder.labels(tag)) return tag;
  const dir = mkdtempSync(join(tmpdir(), 'plat-service-image-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), recipe.dockerfile);
    for (const [name, content] of Object.entries(recipe.files ?? {})) writeFileSync(join(dir, name), content);
    // Plat's own recipe, not a tenant's: its output is not capped.
    await builder.build({
      contextDir: dir,
      dockerfile: 'Dockerfile',
      tag,
      labels: { [IMAGE_LABELS.serviceImage]: recipe.name },
      maxOutputBytes: Number.POSITIVE_INFINITY,
      onLine: log,
    });
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
