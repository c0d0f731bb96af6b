import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['addons/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // End-to-end files share one Docker engine and the machine's two cores.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
