import type { LogLine } from '../logs/log-line.js';
import { DeliveryQueue, overflowMessage, retryDelayMs, type Batch } from './delivery-queue.js';
import type { DrainSender } from './drain-sender.js';
import { newFrameId } from './logplex-frame.js';

export interface DeliveryLimits {
  /** Lines and bytes a drain may have waiting; older ones are dropped beyond. */
  maxLines: number;
  maxBytes: number;
  /** Lines and bytes per write or request. */
  batchLines: number;
  batchBytes: number;
  /** An overflow is reported (L10) this long after its first dropped line: at most one message per period. */
  reportEveryMs: number;
  /** The longest wait between attempts at a failing drain. */
  maxRetryMs: number;
}

export const DEFAULT_LIMITS: DeliveryLimits = {
  maxLines: 2_000,
  maxBytes: 1024 * 1024,
  batchLines: 500,
  batchBytes: 256 * 1024,
  reportEveryMs: 10_000,
  maxRetryMs: 60_000,
};

/**
 * Delivers one drain's lines, in order, one batch at a time, retrying with
 * backoff. `push` only queues: nothing on the log path ever waits for a
 * drain, and a drain that is slow or gone costs at most its bounded queue.
 */
export class DrainDelivery {
  readonly token: string;
  readonly #queue: DeliveryQueue;
  readonly #sender: DrainSender;
  readonly #limits: DeliveryLimits;
  readonly #report: (line: string) => void;
  #running = false;
  #closed = false;
  #failures = 0;
  #lastError: string | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #reportTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  /** The batch last attempted: a retry of the same lines keeps its frame id. */
  #attempt: { first: LogLine; lastSeq: number; frameId: string } | undefined;

  constructor(options: {
    token: string;
    sender: DrainSender;
    limits: DeliveryLimits;
    /** Writes a line into the app's log (Heroku's L10). */
    report: (line: string) => void;
  }) {
    this.token = options.token;
    this.#sender = options.sender;
    this.#limits = options.limits;
    this.#report = options.report;
    this.#queue = new DeliveryQueue(options.limits);
  }

  /** Why the last attempt failed, while the drain keeps failing. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  get queued(): number {
    return this.#queue.size;
  }

  push(line: LogLine): void {
    if (this.#closed) return;
    this.#queue.push(line);
    // Later, never inside a push: the report is itself a line of the app's log, and comes back here.
    if (this.#queue.dropped > 0 && !this.#reportTimer) {
      this.#reportTimer = setTimeout(() => {
        this.#reportTimer = undefined;
        const overflow = this.#queue.takeOverflow();
        if (overflow && !this.#closed) this.#report(overflowMessage(overflow, this.token));
      }, this.#limits.reportEveryMs);
      this.#reportTimer.unref();
    }
    if (!this.#running) {
      this.#running = true;
      // After this turn of the event loop: lines written together go out together.
      setImmediate(() => void this.#run());
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#reportTimer) clearTimeout(this.#reportTimer);
    this.#wake?.();
    this.#sender.close();
  }

  async #run(): Promise<void> {
    try {
      for (;;) {
        if (this.#closed) return;
        const batch = this.#next();
        if (!batch) return;
        try {
          await this.#sender.send(batch.lines, this.#attempt!.frameId);
          this.#queue.ack(batch.lastSeq);
          this.#attempt = undefined;
          this.#failures = 0;
          this.#lastError = undefined;
        } catch (error) {
          this.#failures += 1;
          this.#lastError = (error as Error).message;
          await this.#pause(retryDelayMs(this.#failures, this.#limits.maxRetryMs));
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /** The next batch: after a failure, the same lines again (less any dropped meanwhile). */
  #next(): Batch | undefined {
    const { batchLines, batchBytes } = this.#limits;
    const retry = this.#attempt ? this.#queue.peek(batchLines, batchBytes, this.#attempt.lastSeq) : undefined;
    if (retry && retry.lines[0] === this.#attempt!.first) return retry;
    const batch = this.#queue.peek(batchLines, batchBytes);
    this.#attempt = batch ? { first: batch.lines[0]!, lastSeq: batch.lastSeq, frameId: newFrameId() } : undefined;
    return batch;
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#retryTimer = setTimeout(resolve, ms);
      this.#retryTimer.unref();
    });
  }
}
