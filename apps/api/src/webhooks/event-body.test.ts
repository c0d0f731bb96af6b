import { describe, expect, it } from 'vitest';
import { deliveryBody, eventBody } from './event-body.js';

const at = new Date('2026-11-28T12:00:00.000Z');

describe('eventBody and deliveryBody', () => {
  it("shape an event as Heroku's app webhooks do", () => {
    const stored = eventBody({
      id: 'e1',
      include: 'api:release',
      action: 'update',
      at,
      data: { id: 'r1', version: 3, status: 'succeeded' },
      actor: { id: 'u1', email: 'ann@example.com' },
    });
    const sent = JSON.parse(
      deliveryBody(
        stored,
        { attemptId: 'a1', deliveryId: 'd1', eventId: 'e1', include: 'api:release', webhookId: 'w1' },
        new Date('2026-11-28T12:00:01.000Z'),
      ),
    );
    expect(sent).toEqual({
      id: 'e1',
      created_at: '2026-11-28T12:00:00.000Z',
      published_at: '2026-11-28T12:00:01.000Z',
      resource: 'release',
      action: 'update',
      actor: { id: 'u1', email: 'ann@example.com' },
      previous_data: {},
      data: { id: 'r1', version: 3, status: 'succeeded' },
      version: 'application/vnd.heroku+json; version=3.webhook',
      webhook_metadata: {
        attempt: { id: 'a1' },
        delivery: { id: 'd1' },
        event: { id: 'e1', include: 'api:release' },
        webhook: { id: 'w1' },
      },
    });
  });

  it('names Plat as the actor of what no user did', () => {
    const stored = eventBody({ id: 'e2', include: 'dyno', action: 'update', at, data: { state: 'crashed' } });
    expect(stored.actor).toEqual({ id: null, email: 'plat' });
    expect(stored.resource).toBe('dyno');
  });
});
