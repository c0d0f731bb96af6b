import { describe, expect, it } from 'vitest';
import { parseRoute, routePath } from './router.js';

describe('routes', () => {
  it('reads the app and tab from the path, and writes them back', () => {
    expect(parseRoute('/')).toEqual({ page: 'apps' });
    expect(parseRoute('/apps/hello-1')).toEqual({ page: 'app', app: 'hello-1', tab: 'overview' });
    expect(parseRoute('/apps/hello-1/logs')).toEqual({ page: 'app', app: 'hello-1', tab: 'logs' });
    expect(parseRoute('/apps/hello-1/nope')).toEqual({ page: 'app', app: 'hello-1', tab: 'overview' });
    expect(parseRoute('/apps/<script>')).toEqual({ page: 'apps' });
    expect(routePath({ page: 'app', app: 'x1', tab: 'addons' })).toBe('/apps/x1/addons');
    expect(routePath({ page: 'app', app: 'x1', tab: 'overview' })).toBe('/apps/x1');
  });
});
