import { addonImageRepo, stackServiceImage, type AddonPlan, type AddonProvider } from '@plat/core';

const DATA = '/var/lib/plat-redis';

/** Persistence only where the plan says so: mini keeps nothing on disk. */
const ENTRYPOINT = `#!/bin/sh
set -eu
if [ "$REDIS_PERSIST" = "yes" ]; then
  exec redis-server --requirepass "$REDIS_PASSWORD" --dir ${DATA} --appendonly yes --protected-mode no
fi
exec redis-server --requirepass "$REDIS_PASSWORD" --save '' --appendonly no --protected-mode no
`;

const PLANS: AddonPlan[] = [
  { name: 'mini', description: 'Redis in memory only, nothing kept on restart', persistent: false, memoryMb: 256 },
  { name: 'premium', description: 'Redis with an append-only file on a volume', persistent: true, memoryMb: 1024 },
];

export const redis: AddonProvider = {
  name: 'redis',
  description: 'Redis 7, a dedicated server for the app',
  defaultAttachment: 'REDIS',
  plans: PLANS,
  defaultPlan: 'mini',
  credentials: (random) => ({ password: random() }),
  service: (plan, credentials) => ({
    image: stackServiceImage({
      name: addonImageRepo('redis'),
      packages: ['redis-server'],
      user: 'redis',
      dataPath: DATA,
      entrypoint: ENTRYPOINT,
    }),
    env: { REDIS_PASSWORD: credentials.password!, REDIS_PERSIST: plan.persistent ? 'yes' : 'no' },
    ...(plan.persistent ? { dataPath: DATA } : {}),
    port: 6379,
    healthcheck: ['redis-cli', '--no-auth-warning', '-a', credentials.password!, 'ping'],
  }),
  url: (host, credentials) => `redis://:${credentials.password}@${host}:6379`,
};
