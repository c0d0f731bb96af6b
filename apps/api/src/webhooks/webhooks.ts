import { randomUUID } from 'node:crypto';
import type { Sql } from '../store/database.js';
import { insertEvent } from '../store/webhooks.js';
import { DeliveryWorker } from './delivery-worker.js';
import type { WebhookAction, WebhookInclude } from './entities.js';
import { eventBody, type WebhookActor } from './event-body.js';
import type { Settings } from '../config.js';
import { defaultRetryPolicy } from './retry-schedule.js';

export interface WebhookEmit {
  app: { id: string; name: string };
  include: WebhookInclude;
  action: WebhookAction;
  data: Record<string, unknown>;
  previousData?: Record<string, unknown>;
  actor?: WebhookActor;
}

/** Events waiting to be stored, at most; past that they are dropped and counted. */
const MAX_PENDING_EVENTS = 10_000;

/**
 * The app webhooks of platd: `emit` is the one call the rest of platd
 * makes when something a webhook may include happens. It returns at once
 * and never throws: the event is stored (only if some webhook of the app
 * includes it) and sent by the delivery worker.
 */
export class Webhooks {
  readonly #sql: Sql;
  readonly #log: (line: string) => void;
  readonly #worker: DeliveryWorker;
  readonly #tap: ((event: WebhookEmit) => void) | undefined;
  /** Events are stored one after another, so an app's events keep their order. */
  #storing: Promise<void> = Promise.resolve();
  #pending = 0;
  #dropped = 0;

  /** `tap` sees every event as it is emitted, stored or not (the live views' event bus). */
  constructor(deps: {
    sql: Sql;
    settings: Settings['webhooks'];
    log: (line: string) => void;
    tap?: (event: WebhookEmit) => void;
  }) {
    this.#sql = deps.sql;
    this.#log = deps.log;
    this.#tap = deps.tap;
    this.#worker = new DeliveryWorker({
      sql: deps.sql,
      policy: { ...defaultRetryPolicy, baseMs: deps.settings.retryBaseMs },
      timeoutMs: deps.settings.timeoutMs,
      allowPrivate: deps.settings.allowPrivate,
      log: deps.log,
    });
  }

  emit(event: WebhookEmit): void {
    this.#tap?.(event);
    // A state store that is down or slow must not make this chain grow without end.
    if (this.#pending >= MAX_PENDING_EVENTS) {
      this.#dropped += 1;
      if (this.#dropped === 1 || this.#dropped % 1000 === 0)
        this.#log(`webhooks: the state store is behind; ${this.#dropped} event(s) dropped so far`);
      return;
    }
    this.#pending += 1;
    const at = new Date();
    const id = randomUUID();
    const body = eventBody({ id, at, ...event });
    this.#storing = this.#storing.then(async () => {
      try {
        const waiting = await insertEvent(this.#sql, {
          id,
          appId: event.app.id,
          include: event.include,
          body: body as unknown as Record<string, unknown>,
          at,
        });
        if (waiting > 0) this.#worker.wake();
      } catch (error) {
        this.#log(
          `webhooks: storing a ${event.include} event of ${event.app.name} failed: ${(error as Error).message}`,
        );
      } finally {
        this.#pending -= 1;
      }
    });
  }

  start(): void {
    this.#worker.start();
  }

  async stop(): Promise<void> {
    await this.#storing;
    await this.#worker.stop();
  }
}
