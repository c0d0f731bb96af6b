import { postgres } from '@plat/addon-postgres';
import { redis } from '@plat/addon-redis';
import { scheduler } from '@plat/addon-scheduler';
import { PlatError, type AddonPlan, type AddonProvider } from '@plat/core';

/** Every provider `plat addons:create` knows, by name. */
export const providers: readonly AddonProvider[] = [postgres, redis, scheduler];

/** `postgres` or `postgres:standard`. */
export function resolvePlan(spec: string): { provider: AddonProvider; plan: AddonPlan } {
  const [name, planName] = spec.split(':');
  const provider = providers.find((p) => p.name === name);
  if (!provider)
    throw new PlatError(
      'not_found',
      `Unknown add-on ${JSON.stringify(name)}: use one of ${providers.map((p) => p.name).join(', ')}.`,
    );
  const plan = provider.plans.find((p) => p.name === (planName ?? provider.defaultPlan));
  if (!plan)
    throw new PlatError(
      'not_found',
      `Unknown plan ${JSON.stringify(planName)} for ${provider.name}: ` +
        `use one of ${provider.plans.map((p) => p.name).join(', ')}.`,
    );
  return { provider, plan };
}
