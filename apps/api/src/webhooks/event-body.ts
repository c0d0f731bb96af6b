import type { WebhookAction, WebhookInclude } from './entities.js';
import { resourceOf } from './entities.js';

/** Who caused an event: a user, or Plat itself (a crash, a renewal, a scheduled backup). */
export interface WebhookActor {
  id: string | null;
  email: string;
}

export const PLATFORM_ACTOR: WebhookActor = { id: null, email: 'plat' };

export interface WebhookEventInput {
  id: string;
  include: WebhookInclude;
  action: WebhookAction;
  at: Date;
  data: Record<string, unknown>;
  previousData?: Record<string, unknown>;
  actor?: WebhookActor;
}

/** The body as stored once per event: every delivery adds published_at and its webhook_metadata. */
export interface StoredEventBody {
  id: string;
  created_at: string;
  resource: string;
  action: WebhookAction;
  actor: WebhookActor;
  previous_data: Record<string, unknown>;
  data: Record<string, unknown>;
  version: string;
}

/** Heroku's app webhook shape, so receivers written for Heroku read Plat's events. */
export function eventBody(input: WebhookEventInput): StoredEventBody {
  return {
    id: input.id,
    created_at: input.at.toISOString(),
    resource: resourceOf(input.include),
    action: input.action,
    actor: input.actor ?? PLATFORM_ACTOR,
    previous_data: input.previousData ?? {},
    data: input.data,
    version: 'application/vnd.heroku+json; version=3.webhook',
  };
}

export interface DeliveryIds {
  attemptId: string;
  deliveryId: string;
  eventId: string;
  include: string;
  webhookId: string;
}

/** The exact bytes one attempt sends, and signs: the stored body, when it was sent, and which delivery it is. */
export function deliveryBody(stored: StoredEventBody, ids: DeliveryIds, publishedAt: Date): string {
  return JSON.stringify({
    ...stored,
    published_at: publishedAt.toISOString(),
    webhook_metadata: {
      attempt: { id: ids.attemptId },
      delivery: { id: ids.deliveryId },
      event: { id: ids.eventId, include: ids.include },
      webhook: { id: ids.webhookId },
    },
  });
}
