import { PlatError, type Webhook, type WebhookDelivery } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, header, keyValues, table } from '../../present.js';
import { withProgress } from '../../progress.js';

interface WebhookFlags {
  app?: string;
  json?: boolean;
  url?: string;
  include?: string;
  level?: string;
  secret?: string;
}

/** `api:release,api:build` (or repeated spaces) as the API's array. */
export function includeList(raw: string): string[] {
  return raw
    .split(/[,\s]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}

function level(raw: string | undefined): 'notify' | 'sync' | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'notify' || raw === 'sync') return raw;
  throw new PlatError('invalid_params', `--level is notify (one attempt) or sync (retried for up to 24 hours).`);
}

export async function listWebhooks(options: WebhookFlags, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const hooks = await context.client().webhooks.list(name);
  emit(context.output, options.json, hooks, () =>
    hooks.length === 0
      ? [`${name} has no webhooks (plat webhooks:add --url URL --include api:release).`]
      : [
          header(`${name} Webhooks`, context.output.colors),
          ...table(
            ['Webhook ID', 'URL', 'Include', 'Level'],
            hooks.map((hook) => [hook.id, hook.url, hook.include.join(','), hook.level]),
          ),
        ],
  );
}

export async function addWebhook(options: WebhookFlags, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  if (!options.url) throw new PlatError('invalid_params', 'Give the receiver with --url https://...');
  if (!options.include)
    throw new PlatError('invalid_params', 'Name the events with --include, e.g. --include api:release,api:build');
  const wanted = level(options.level);
  const hook = await withProgress(context, `Adding webhook to ${name}`, () =>
    context.client().webhooks.add(name, {
      url: options.url!,
      include: includeList(options.include!),
      ...(wanted ? { level: wanted } : {}),
      ...(options.secret !== undefined ? { secret: options.secret } : {}),
    }),
  );
  emit(context.output, options.json, hook, () => [
    `Webhook ${hook.id} sends ${hook.include.join(', ')} events to ${hook.url}`,
    ...(hook.secret
      ? [
          '',
          header('Webhook Signing Secret', context.output.colors),
          hook.secret,
          '',
          'Shown only now: each delivery carries base64 HMAC-SHA256 of its body with this secret',
          'in Plat-Webhook-Hmac-SHA256 (and Heroku-Webhook-Hmac-SHA256).',
        ]
      : []),
  ]);
}

function webhookLines(hook: Webhook): string[] {
  return keyValues([
    ['Webhook ID', hook.id],
    ['URL', hook.url],
    ['Include', hook.include.join(',')],
    ['Level', hook.level],
    ['Created', hook.created_at],
  ]);
}

export async function webhookInfo(id: string, options: WebhookFlags, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const hook = await context.client().webhooks.get(name, id);
  emit(context.output, options.json, hook, () => [header(hook.id, context.output.colors), ...webhookLines(hook)]);
}

export async function updateWebhook(id: string, options: WebhookFlags, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const wanted = level(options.level);
  const changes = {
    ...(options.url !== undefined ? { url: options.url } : {}),
    ...(options.include !== undefined ? { include: includeList(options.include) } : {}),
    ...(wanted ? { level: wanted } : {}),
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
  };
  if (Object.keys(changes).length === 0)
    throw new PlatError('invalid_params', 'Nothing to change: give --url, --include, --level or --secret.');
  const hook = await withProgress(context, `Updating webhook ${id}`, () =>
    context.client().webhooks.update(name, id, changes),
  );
  emit(context.output, options.json, hook, () => webhookLines(hook));
}

export async function removeWebhook(id: string, options: WebhookFlags, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `Removing webhook ${id} from ${name}`, () => context.client().webhooks.remove(name, id));
}

/** `500 200`: each attempt's answer, `-` where there was none (timeout, refused). */
export function attemptCodes(delivery: WebhookDelivery): string {
  return delivery.codes.length ? delivery.codes.map((code) => (code === null ? '-' : String(code))).join(' ') : '-';
}

export async function listDeliveries(
  options: WebhookFlags & { webhook?: string; num?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const limit = options.num === undefined ? undefined : Number(options.num);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000))
    throw new PlatError('invalid_params', '--num takes 1 to 1000.');
  const deliveries = await context.client().webhooks.deliveries(name, {
    ...(options.webhook ? { webhook: options.webhook } : {}),
    ...(limit ? { limit } : {}),
  });
  emit(context.output, options.json, deliveries, () =>
    deliveries.length === 0
      ? [`${name} has no webhook deliveries.`]
      : [
          header(`${name} Webhook Deliveries`, context.output.colors),
          ...table(
            ['Delivery ID', 'Created', 'Event', 'Status', 'Attempts', 'Codes', 'Next Attempt', 'Last Error'],
            deliveries.map((delivery) => [
              delivery.id,
              ago(delivery.created_at),
              delivery.event.include,
              delivery.status,
              String(delivery.num_attempts),
              attemptCodes(delivery),
              delivery.next_attempt_at && ['pending', 'retrying'].includes(delivery.status)
                ? ago(delivery.next_attempt_at)
                : '-',
              delivery.last_attempt?.error ?? '',
            ]),
          ),
        ],
  );
}
