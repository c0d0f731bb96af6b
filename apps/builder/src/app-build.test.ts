import { describe, expect, it } from 'vitest';
import { labelEveryLayer } from './app-build.js';

describe('the build', () => {
  it('labels every layer right after FROM, leaving the rest as it was', () => {
    expect(labelEveryLayer('ARG X\nFROM base\nRUN a\n', { 'plat.instance': 'i1', 'plat.app-id': 'a b' })).toBe(
      'ARG X\nFROM base\nLABEL plat.instance="i1" plat.app-id="a b"\nRUN a\n',
    );
  });
});
