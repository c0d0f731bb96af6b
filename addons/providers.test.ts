import { describe, expect, it } from 'vitest';
import { postgres } from './postgres/src/index.js';
import { redis } from './redis/src/index.js';

const random = (() => {
  let n = 0;
  return () => {
    n += 1;
    return `Secret${n}abcdefghijklmnop`;
  };
})();

describe('add-on providers', () => {
  it('postgres: a persistent server and a DATABASE_URL', () => {
    const credentials = postgres.credentials(random);
    const service = postgres.service(postgres.plans[0]!, credentials);
    expect(service.dataPath).toBe('/var/lib/plat-postgres');
    expect(service.image.dockerfile).toMatch(/^FROM plat\/stack:latest/);
    expect(service.env.POSTGRES_PASSWORD).toBe(credentials.password);
    expect(postgres.url('postgres-calm-1234', credentials)).toBe(
      `postgres://${credentials.user}:${credentials.password}@postgres-calm-1234:5432/${credentials.database}`,
    );
  });

  it('redis: persistence only on plans that keep data', () => {
    const credentials = redis.credentials(random);
    const mini = redis.service(redis.plans.find((p) => p.name === 'mini')!, credentials);
    const premium = redis.service(redis.plans.find((p) => p.name === 'premium')!, credentials);
    expect(mini.dataPath).toBeUndefined();
    expect(mini.env.REDIS_PERSIST).toBe('no');
    expect(premium.dataPath).toBe('/var/lib/plat-redis');
    expect(redis.url('redis-x-1', credentials)).toBe(`redis://:${credentials.password}@redis-x-1:6379`);
  });
});
