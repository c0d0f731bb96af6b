#!/usr/bin/env node
// Host set-up entry point: `node apps/builder/dist/ensure-stack-main.js`.
import { ImageBuilder } from './image-builder.js';
import { ensureStackImage, STACK_IMAGE } from './stack-image.js';

const started = Date.now();
try {
  const { built, recipe } = await ensureStackImage(new ImageBuilder(), { mirror: process.env.PLAT_DEBIAN_MIRROR });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${STACK_IMAGE} ${built ? 'built' : 'is up to date'} (recipe ${recipe}, ${seconds} s)`);
} catch (error) {
  console.error(`Could not build ${STACK_IMAGE}: ${(error as Error).message}`);
  process.exit(1);
}
