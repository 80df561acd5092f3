import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SecretRef } from '../../config/schema.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { createTarget, type NotifierTarget } from './notifier-target.js';
import { nextDelay } from './retry-policy.js';
import { sendAttempt } from './send-attempt.js';
import type { EventEnvelope, NotifierConfig, RenderedRequest, TicketEvent } from './types.js';

export interface DispatcherOptions {
  /** Resolves `{env}`/`{file}` references (notifier URLs and signing secrets). */
  secret: (ref: SecretRef) => string;
  logger: Logger;
  fetch?: typeof fetch;
  clock?: Clock;
  /** Attempts per delivery, the first included. Default 6. */
  maxAttempts?: number;
  /** First retry waits about this long; each further retry doubles it. Default 1000 ms. */
  baseDelayMs?: number;
  /** Longest wait between attempts, `Retry-After` included. Default 5 minutes. */
  maxDelayMs?: number;
  /** Per-attempt timeout unless the notifier sets `timeout`. Default 15 s. */
  timeoutMs?: number;
  /** Deliveries in flight or waiting to retry before new ones are dropped. Default 1000. */
  maxPending?: number;
  /** Jitter source, for tests. */
  random?: () => number;
}

/** Counters since start. `failed` includes deliveries dropped or abandoned at shutdown. */
export interface DispatcherStats {
  delivered: number;
  failed: number;
  pending: number;
  attempts: number;
}

/**
 * Sends ticket notifications to Slack, Teams and Standard Webhooks receivers, best-effort.
 * `notify` returns at once and never throws; deliveries run in the background with retries.
 * The ticket itself lives in the store whatever happens here: a notifier that is down delays
 * nobody and loses nothing but the message, and that loss is logged with the event id.
 */
export class NotificationDispatcher {
  readonly #targets: NotifierTarget[];
  readonly #disabled = new Set<NotifierTarget>();
  readonly #pending = new Set<Promise<void>>();
  readonly #shutdown = new AbortController();
  readonly #logger: Logger;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #maxAttempts: number;
  readonly #delays: { baseMs: number; maxMs: number; random?: () => number };
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  #closed = false;
  #stats = { delivered: 0, failed: 0, attempts: 0 };

  /** Validates every notifier and resolves its secrets; throws TypeError on a bad one. */
  constructor(notifiers: ReadonlyArray<NotifierConfig>, options: DispatcherOptions) {
    this.#targets = notifiers.map((config, index) => createTarget(config, index, options.secret));
    this.#logger = options.logger.child({ component: 'notifier' });
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? systemClock;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 6);
    this.#delays = {
      baseMs: options.baseDelayMs ?? 1000,
      maxMs: options.maxDelayMs ?? 300_000,
      ...(options.random && { random: options.random }),
    };
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#maxPending = options.maxPending ?? 1000;
  }

  /** Queues the event for every notifier that wants it. Returns at once; never throws. */
  notify(event: TicketEvent): void {
    try {
      const envelope: EventEnvelope = {
        id: `msg_${randomUUID().replaceAll('-', '')}`,
        time: this.#clock.now(),
        event,
      };
      for (const target of this.#targets) {
        if (target.wants(event.type)) this.#enqueue(target, envelope);
      }
    } catch (err) {
      this.#logger.error({ err }, 'notification could not be queued');
    }
  }

  #enqueue(target: NotifierTarget, envelope: EventEnvelope): void {
    const fields = {
      notifier: target.label,
      eventId: envelope.id,
      eventType: envelope.event.type,
      ticketId: envelope.event.ticket?.id,
    };
    const refusal = this.#closed
      ? 'shutting down'
      : this.#disabled.has(target)
        ? 'notifier disabled after 410 Gone'
        : this.#pending.size >= this.#maxPending
          ? `${this.#maxPending} deliveries already pending`
          : undefined;
    if (refusal) {
      this.#stats.failed++;
      this.#logger.error({ ...fields, reason: refusal }, 'notification dropped');
      return;
    }
    let request: RenderedRequest;
    try {
      request = target.render(envelope);
    } catch (err) {
      this.#stats.failed++;
      this.#logger.error({ ...fields, err }, 'notification could not be rendered');
      return;
    }
    const task: Promise<void> = this.#deliver(target, request, fields)
      .catch((err) => {
        this.#stats.failed++;
        this.#logger.error({ ...fields, err }, 'notification delivery crashed');
      })
      .finally(() => this.#pending.delete(task));
    this.#pending.add(task);
  }

  async #deliver(
    target: NotifierTarget,
    request: RenderedRequest,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const signal = this.#shutdown.signal;
    for (let attempt = 1; ; attempt++) {
      this.#stats.attempts++;
      const now = this.#clock.now();
      const result = await sendAttempt(target.url, request.body, request.headers(now), {
        fetch: this.#fetch,
        timeoutMs: target.timeoutMs ?? this.#timeoutMs,
        shutdown: signal,
        now,
      });
      const log = { ...fields, attempt, status: result.status, reason: result.reason };
      if (result.verdict === 'delivered') {
        this.#stats.delivered++;
        this.#logger.debug(log, 'notification delivered');
        return;
      }
      if (result.verdict === 'gone') {
        this.#disabled.add(target);
        this.#stats.failed++;
        this.#logger.error(log, 'notifier endpoint is gone (410); notifier disabled until restart');
        return;
      }
      if (result.verdict === 'fail' || attempt >= this.#maxAttempts) {
        this.#stats.failed++;
        this.#logger.error(log, `notification not delivered after ${attempt} attempt(s)`);
        return;
      }
      const delay = nextDelay(attempt, result.retryAfterMs, this.#delays);
      this.#logger.warn({ ...log, retryInMs: delay }, 'notification attempt failed; will retry');
      try {
        await sleep(delay, undefined, { signal, ref: false });
      } catch {
        this.#stats.failed++;
        this.#logger.error(log, 'notification abandoned at shutdown');
        return;
      }
    }
  }

  /**
   * Stops accepting notifications and waits up to `timeoutMs` for deliveries in flight and
   * their retries; whatever is left then is abandoned (and logged) rather than awaited.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const settled = Promise.allSettled([...this.#pending]);
    const cancelTimer = new AbortController();
    const timer = sleep(timeoutMs, 'timeout' as const, { ref: false, signal: cancelTimer.signal });
    try {
      if ((await Promise.race([settled, timer])) === 'timeout') {
        this.#shutdown.abort();
        await Promise.allSettled([...this.#pending]);
      }
    } finally {
      cancelTimer.abort();
      timer.catch(() => {});
    }
  }

  /** Delivery counters since start. */
  stats(): DispatcherStats {
    return { ...this.#stats, pending: this.#pending.size };
  }
}
