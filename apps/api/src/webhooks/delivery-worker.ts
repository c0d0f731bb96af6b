import { randomUUID } from 'node:crypto';
import type { Sql } from '../store/database.js';
import { claimDueDeliveries, nextDueAt, pruneEvents, recordAttempt, type DueDelivery } from '../store/webhooks.js';
import type { WebhookLevel } from './entities.js';
import { deliveryBody, type StoredEventBody } from './event-body.js';
import { postWebhook, type PostOptions, type PostResult } from './post.js';
import { delivered, nextAttemptAt, type RetryPolicy } from './retry-schedule.js';
import { signatureHeaders } from './signature.js';

export interface DeliveryWorkerDeps {
  sql: Sql;
  policy: RetryPolicy;
  /** Per attempt, connection to last byte. */
  timeoutMs: number;
  allowPrivate: boolean;
  log(line: string): void;
  /** Attempts under way at once, across every app. */
  concurrency?: number;
  post?: (options: PostOptions) => Promise<PostResult>;
}

/** The longest sleep between passes, so anything missed (another platd's rows) is picked up. */
const MAX_SLEEP_MS = 60_000;
const PRUNE_EVERY_MS = 3600_000;
const KEEP_EVENTS_MS = 7 * 24 * 3600_000;

/**
 * Sends stored deliveries: claims the due ones (durable rows: a platd
 * restart resumes them), at most `concurrency` at a time, records each
 * attempt, and schedules the retry or gives up. Runs beside the API: an
 * event is stored by its emitter and sent from here, never on the request
 * that caused it.
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #passing: Promise<void> | undefined;
  #again = false;
  #prunedAt = 0;

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps;
  }

  get #concurrency(): number {
    return this.#deps.concurrency ?? 4;
  }

  start(): void {
    this.#started = true;
    this.wake();
  }

  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearTimeout(this.#timer);
    // Attempts under way are not waited for: their lease runs out and the next start sends them again.
    await this.#passing;
  }

  /** Something is due (a new event, an attempt finished): look now. */
  wake(): void {
    if (!this.#started) return;
    if (this.#passing) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#passing = this.#pass()
      .catch((error: Error) => this.#deps.log(`webhooks: a delivery pass failed: ${error.message}`))
      .then(async () => {
        this.#passing = undefined;
        if (this.#again) {
          this.#again = false;
          return this.wake();
        }
        await this.#sleep();
      });
  }

  async #sleep(): Promise<void> {
    // Every slot busy: the next attempt to end wakes the worker.
    if (!this.#started || this.#inFlight.size >= this.#concurrency) return;
    const next = await nextDueAt(this.#deps.sql).catch(() => undefined);
    const wait = next ? Math.max(0, next.getTime() - Date.now()) : MAX_SLEEP_MS;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.wake(), Math.min(Math.max(wait, 100), MAX_SLEEP_MS));
    this.#timer.unref();
  }

  async #pass(): Promise<void> {
    const { sql } = this.#deps;
    if (Date.now() - this.#prunedAt > PRUNE_EVERY_MS) {
      this.#prunedAt = Date.now();
      const pruned = await pruneEvents(sql, KEEP_EVENTS_MS);
      if (pruned > 0) this.#deps.log(`webhooks: deleted ${pruned} event(s) older than 7 days`);
    }
    const free = this.#concurrency - this.#inFlight.size;
    // The lease outlasts an attempt, so a claimed delivery is not taken twice.
    const claimed = await claimDueDeliveries(sql, free, this.#deps.timeoutMs + 30_000);
    for (const delivery of claimed) {
      const attempt = this.#attempt(delivery)
        .catch((error: Error) => this.#deps.log(`webhooks: delivery ${delivery.id} failed: ${error.message}`))
        .finally(() => {
          this.#inFlight.delete(attempt);
          this.wake();
        });
      this.#inFlight.add(attempt);
    }
  }

  async #attempt(delivery: DueDelivery): Promise<void> {
    const attemptId = randomUUID();
    const body = deliveryBody(
      delivery.body as unknown as StoredEventBody,
      {
        attemptId,
        deliveryId: delivery.id,
        eventId: delivery.event_id,
        include: delivery.include,
        webhookId: delivery.webhook_id,
      },
      new Date(),
    );
    const result = await (this.#deps.post ?? postWebhook)({
      url: delivery.url,
      body,
      headers: {
        ...signatureHeaders(body, delivery.secret),
        'Plat-Webhook-Id': delivery.id,
        'Plat-Webhook-Event': delivery.include,
      },
      timeoutMs: this.#deps.timeoutMs,
      allowPrivate: this.#deps.allowPrivate,
    });
    const ok = delivered(result.code);
    const next = ok
      ? undefined
      : nextAttemptAt({
          attemptsMade: delivery.attempts + 1,
          createdAt: delivery.created_at,
          now: new Date(),
          level: delivery.level as WebhookLevel,
          policy: this.#deps.policy,
        });
    const error = ok ? null : (result.error ?? `answered ${result.code}`);
    await recordAttempt(this.#deps.sql, {
      id: attemptId,
      deliveryId: delivery.id,
      code: result.code ?? null,
      error,
      durationMs: result.durationMs,
      status: ok ? 'succeeded' : next ? 'retrying' : 'failed',
      nextAttemptAt: next ?? null,
    });
  }
}
