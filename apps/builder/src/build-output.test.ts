import { describe, expect, it } from 'vitest';
import { presentBuildLine } from './build-output.js';

describe('presentBuildLine', () => {
  it('drops Docker bookkeeping', () => {
    for (const line of [
      ' ---> Running in 0f36d10364aa',
      ' ---> 5ca8e4aa6865',
      'Removing intermediate container 0f36d10364aa',
      'Successfully built 8ac41a8d36d3',
      'Step 13/15 : LABEL plat.app=hello',
      '  ',
    ]) {
      expect(presentBuildLine(line)).toBeUndefined();
    }
  });

  it('keeps steps and their output, without colour codes', () => {
    expect(presentBuildLine('Step 10/15 : RUN pip install -r /app/requirements.txt')).toBe(
      'Step 10/15 : RUN pip install -r /app/requirements.txt',
    );
    expect(presentBuildLine('\x1b[91mERROR: No matching distribution\x1b[0m')).toBe('ERROR: No matching distribution');
  });

  it('says when a layer comes from the cache', () => {
    expect(presentBuildLine(' ---> Using cache')).toBe('       (using cache)');
  });
});
