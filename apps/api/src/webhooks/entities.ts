import { PlatError } from '@plat/core';

/**
 * What a webhook can subscribe to: Heroku's entity names for the app's
 * releases, builds, add-ons, formation and dynos, and Plat's `alert`
 * (certificates, backups, crash loops, disk).
 */
export const WEBHOOK_INCLUDES = ['api:release', 'api:build', 'api:addon', 'api:formation', 'dyno', 'alert'] as const;
export type WebhookInclude = (typeof WEBHOOK_INCLUDES)[number];

export type WebhookAction = 'create' | 'update' | 'destroy';

export const WEBHOOK_LEVELS = ['notify', 'sync'] as const;
export type WebhookLevel = (typeof WEBHOOK_LEVELS)[number];

const known = new Set<string>(WEBHOOK_INCLUDES);

/** The entity a webhook body names as `resource`: `api:release` → `release`. */
export function resourceOf(include: WebhookInclude): string {
  return include.replace(/^api:/, '');
}

/**
 * Parses an include list, as the API takes it (an array) or the CLI
 * (`api:release,api:build`): each once, in the canonical order; an unknown
 * entity is refused with the list of known ones.
 */
export function parseIncludes(raw: readonly string[] | string): WebhookInclude[] {
  const items = (typeof raw === 'string' ? raw.split(',') : raw).map((item) => item.trim()).filter(Boolean);
  if (items.length === 0)
    throw new PlatError('invalid_params', `Name at least one event type to include: ${WEBHOOK_INCLUDES.join(', ')}.`);
  const unknown = items.filter((item) => !known.has(item));
  if (unknown.length > 0)
    throw new PlatError(
      'invalid_params',
      `Unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.map((item) => JSON.stringify(item)).join(', ')}: ` +
        `use ${WEBHOOK_INCLUDES.join(', ')}.`,
    );
  const wanted = new Set(items);
  return WEBHOOK_INCLUDES.filter((include) => wanted.has(include));
}

export function parseLevel(raw: string | undefined): WebhookLevel {
  if (raw === undefined) return 'sync';
  if ((WEBHOOK_LEVELS as readonly string[]).includes(raw)) return raw as WebhookLevel;
  throw new PlatError('invalid_params', `Unknown level ${JSON.stringify(raw)}: use notify (one attempt) or sync.`);
}
