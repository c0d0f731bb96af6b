import type { AppEvent, AppEventType } from '@plat/core';
import type { WebhookEmit } from '../webhooks/webhooks.js';
import { resourceOf } from '../webhooks/entities.js';

/**
 * One subscriber: `deliver` answers false when it is behind (its bounded
 * buffer full), and it is dropped: a slow client never slows platd.
 */
interface Subscriber {
  deliver: (event: AppEvent) => boolean;
  onDropped: () => void;
}

/**
 * The in-process bus the live views (`GET /v1/apps/:app/events`) read. It
 * is fed from the same points that emit app webhooks (tap), plus config
 * changes; publishing never waits and never throws.
 */
export class EventBus {
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  /** Per app: a global count would let one tenant's subscriber measure every other app's activity. */
  readonly #seq = new Map<string, number>();

  /** The webhook emitter's tap: every webhook event of an app is a live event too. */
  fromWebhook(event: WebhookEmit): void {
    this.publish(event.app.id, {
      type: resourceOf(event.include) as AppEventType,
      action: event.action,
      data: event.data,
    });
  }

  publish(appId: string, event: Omit<AppEvent, 'seq' | 'at'> & { at?: Date }): void {
    const subscribers = this.#subscribers.get(appId);
    const seq = (this.#seq.get(appId) ?? 0) + 1;
    this.#seq.set(appId, seq);
    if (!subscribers) return;
    const full: AppEvent = {
      seq,
      type: event.type,
      action: event.action,
      at: (event.at ?? new Date()).toISOString(),
      data: event.data,
    };
    for (const subscriber of [...subscribers]) {
      let ok = false;
      try {
        ok = subscriber.deliver(full);
      } catch {
        ok = false;
      }
      if (!ok) {
        subscribers.delete(subscriber);
        subscriber.onDropped();
      }
    }
    if (subscribers.size === 0) this.#subscribers.delete(appId);
  }

  /** Returns the unsubscribe function; `onDropped` runs if the bus drops the subscriber for being behind. */
  subscribe(appId: string, deliver: Subscriber['deliver'], onDropped: () => void = () => {}): () => void {
    const subscriber: Subscriber = { deliver, onDropped };
    const set = this.#subscribers.get(appId) ?? new Set();
    this.#subscribers.set(appId, set);
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.#subscribers.get(appId) === set) this.#subscribers.delete(appId);
    };
  }

  /**
   * Ends every subscription of the app, each told through its onDropped
   * (which closes its stream): on destroy and rename, a stream must not
   * outlive the app it was opened for. Its numbering starts again.
   */
  end(appId: string): void {
    const subscribers = this.#subscribers.get(appId);
    this.#subscribers.delete(appId);
    this.#seq.delete(appId);
    for (const subscriber of subscribers ?? []) {
      try {
        subscriber.onDropped();
      } catch {
        // One broken stream must not keep the others open.
      }
    }
  }

  /** Subscribers of an app now (tests, and a future status page). */
  subscribers(appId: string): number {
    return this.#subscribers.get(appId)?.size ?? 0;
  }
}
