import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SecretRef } from '../../config/schema.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { createTarget, type NotifierTarget } from './notifier-target.js';
import type { OutboxRow, SqlNotificationOutbox } from './outbox.js';
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
  /**
   * Keep deliveries in the store (docs/notifiers.md, "Durability"): `notify` writes them to
   * the outbox and any dispatcher on the same store sends them, so a restart loses none.
   * Without it deliveries and their retries live in this process only.
   */
  outbox?: SqlNotificationOutbox;
  /** With an outbox: give a delivery up once it is this old. Default 24 hours. */
  maxAgeMs?: number;
  /** With an outbox: how often to look for deliveries due (other replicas', a restart's). Default 2 s. */
  pollMs?: number;
  /** With an outbox: this dispatcher's name on the leases it takes. Default random. */
  replicaId?: string;
}

/** Rows claimed per look at the outbox. */
const CLAIM_BATCH = 50;
/** A lease outlives the attempt's timeout by this much. */
const LEASE_MARGIN_MS = 30_000;

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
 *
 * With an `outbox`, each delivery is a row in the store: `notify` writes it, and this or any
 * other dispatcher on the store claims it with a lease, makes one attempt, and records the
 * outcome (retry due at, delivered, or failed). Retries and restarts keep the event's id, the
 * Standard Webhooks `webhook-id`, so receivers can drop the repeat of an at-least-once send.
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
  readonly #outbox: SqlNotificationOutbox | undefined;
  readonly #maxAgeMs: number;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #poller: NodeJS.Timeout | undefined;
  #pump: Promise<void> | undefined;
  #pumpAgain = false;
  #backlog = false;
  /** Attempts in flight from the outbox (at most `maxPending`). */
  #sending = 0;

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
    // A gateway without notifiers leaves the outbox alone (it would give up every row in it).
    this.#outbox = this.#targets.length > 0 ? options.outbox : undefined;
    this.#maxAgeMs = options.maxAgeMs ?? 24 * 3_600_000;
    this.#owner = options.replicaId ?? `dispatcher-${randomUUID()}`;
    this.#leaseMs =
      Math.max(this.#timeoutMs, ...this.#targets.map((t) => t.timeoutMs ?? 0)) + LEASE_MARGIN_MS;
    if (this.#outbox) {
      this.#poller = setInterval(() => this.#kick(), options.pollMs ?? 2_000).unref();
      // Deliveries left pending by an earlier run (or another replica) are due now.
      setImmediate(() => this.#kick()).unref();
    }
  }

  /** Queues the event for every notifier that wants it. Returns at once; never throws. */
  notify(event: TicketEvent): void {
    try {
      const envelope: EventEnvelope = {
        id: `msg_${randomUUID().replaceAll('-', '')}`,
        time: this.#clock.now(),
        event,
      };
      for (const [index, target] of this.#targets.entries()) {
        if (!target.wants(event.type)) continue;
        if (this.#outbox) this.#store(this.#outbox, index, target, envelope);
        else this.#enqueue(target, envelope);
      }
    } catch (err) {
      this.#logger.error({ err }, 'notification could not be queued');
    }
  }

  /**
   * Whether a delivery of `envelope` to `target` may start (not shutting down, the notifier not
   * disabled, and with `bounded` fewer than `maxPending` in flight), rendered; undefined (logged
   * and counted as failed) when not.
   */
  #admit(
    target: NotifierTarget,
    envelope: EventEnvelope,
    bounded: boolean,
  ): { fields: Record<string, unknown>; request: RenderedRequest } | undefined {
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
        : bounded && this.#pending.size >= this.#maxPending
          ? `${this.#maxPending} deliveries already pending`
          : undefined;
    if (refusal) {
      this.#stats.failed++;
      this.#logger.error({ ...fields, reason: refusal }, 'notification dropped');
      return undefined;
    }
    try {
      return { fields, request: target.render(envelope) };
    } catch (err) {
      this.#stats.failed++;
      this.#logger.error({ ...fields, err }, 'notification could not be rendered');
      return undefined;
    }
  }

  #enqueue(target: NotifierTarget, envelope: EventEnvelope): void {
    const admitted = this.#admit(target, envelope, true);
    if (!admitted) return;
    const { fields, request } = admitted;
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

  /** Writes one delivery to the outbox, then looks for work. */
  #store(
    outbox: SqlNotificationOutbox,
    index: number,
    target: NotifierTarget,
    envelope: EventEnvelope,
  ): void {
    const admitted = this.#admit(target, envelope, false);
    if (!admitted) return;
    const { fields, request } = admitted;
    const task: Promise<void> = outbox
      .add({
        eventId: envelope.id,
        notifier: index,
        notifierLabel: target.label,
        eventType: envelope.event.type,
        ticketId: envelope.event.ticket?.id,
        body: request.body,
        createdAt: envelope.time,
      })
      .then(
        () => this.#kick(),
        (err: unknown) => {
          this.#stats.failed++;
          this.#logger.error({ ...fields, err }, 'notification could not be written to the outbox');
        },
      )
      .finally(() => this.#pending.delete(task));
    this.#pending.add(task);
  }

  /** Looks for due deliveries now (again once the current look ends, if one is running). */
  #kick(): void {
    const outbox = this.#outbox;
    if (!outbox || this.#closed) return;
    if (this.#pump) {
      this.#pumpAgain = true;
      return;
    }
    this.#pump = this.#claimDue(outbox)
      .catch((err: unknown) => this.#logger.warn({ err }, 'notification outbox look-up failed'))
      .finally(() => {
        this.#pump = undefined;
        if (this.#pumpAgain) {
          this.#pumpAgain = false;
          this.#kick();
        }
      });
  }

  /** Claims due deliveries (up to `maxPending` in flight) and starts an attempt at each. */
  async #claimDue(outbox: SqlNotificationOutbox): Promise<void> {
    const room = this.#maxPending - this.#sending;
    if (room <= 0) {
      this.#backlog = true; // looked at again as soon as an attempt ends
      return;
    }
    const now = this.#clock.now();
    const limit = Math.min(CLAIM_BATCH, room);
    const ids = await outbox.due(now, limit);
    for (const id of ids) {
      if (this.#closed) return;
      const row = await outbox.claim(id, this.#owner, now, now + this.#leaseMs);
      if (!row) continue; // another replica has it
      this.#sending++;
      const task: Promise<void> = this.#attempt(outbox, row)
        .catch((err: unknown) => {
          this.#logger.error(
            { notifier: row.notifier_label, eventId: row.event_id, err },
            'notification delivery crashed; its lease will expire and it will be retried',
          );
        })
        .finally(() => {
          this.#sending--;
          this.#pending.delete(task);
          if (this.#backlog) {
            this.#backlog = false;
            this.#kick();
          }
        });
      this.#pending.add(task);
    }
    // There may be more due: look again (with no room left, that waits for an attempt to end).
    if (ids.length === limit) this.#pumpAgain = true;
  }

  /** One attempt at a claimed delivery, and its outcome recorded in the outbox. */
  async #attempt(outbox: SqlNotificationOutbox, row: OutboxRow): Promise<void> {
    const fields = {
      notifier: row.notifier_label,
      eventId: row.event_id,
      eventType: row.event_type,
      ticketId: row.ticket_id ?? undefined,
    };
    const now = this.#clock.now();
    const attempt = row.attempts + 1;
    const giveUp = async (reason: string, attempts: number, log: Record<string, unknown>) => {
      this.#stats.failed++;
      this.#logger.error(
        { ...log, reason },
        `notification not delivered after ${attempts} attempt(s)`,
      );
      await outbox.finish(row.id, this.#owner, {
        status: 'failed',
        attempts,
        finishedAt: this.#clock.now(),
        error: reason,
      });
    };
    const target = this.#targets[row.notifier];
    if (!target || target.label !== row.notifier_label) {
      return giveUp('notifier no longer configured', row.attempts, fields);
    }
    if (this.#disabled.has(target)) {
      return giveUp('notifier disabled after 410 Gone', row.attempts, fields);
    }
    if (now - Number(row.created_at) > this.#maxAgeMs) {
      return giveUp(`older than ${this.#maxAgeMs} ms`, row.attempts, fields);
    }
    this.#stats.attempts++;
    const signal = this.#shutdown.signal;
    const result = await sendAttempt(
      target.url,
      row.body,
      target.headers(row.event_id, now, row.body),
      { fetch: this.#fetch, timeoutMs: target.timeoutMs ?? this.#timeoutMs, shutdown: signal, now },
    );
    const log = { ...fields, attempt, status: result.status, reason: result.reason };
    if (signal.aborted && result.status === undefined) {
      // Cut short by shutdown: not an attempt that counts. The next replica up sends it.
      this.#logger.warn(log, 'notification attempt cut short by shutdown; left in the outbox');
      await outbox.release(row.id, this.#owner);
      return;
    }
    if (result.verdict === 'delivered') {
      this.#stats.delivered++;
      this.#logger.debug(log, 'notification delivered');
      const kept = await outbox.finish(row.id, this.#owner, {
        status: 'delivered',
        attempts: attempt,
        finishedAt: this.#clock.now(),
      });
      if (!kept) this.#logger.warn(log, 'notification delivered after its lease ran out');
      return;
    }
    if (result.verdict === 'gone') {
      this.#disabled.add(target);
      this.#stats.failed++;
      this.#logger.error(log, 'notifier endpoint is gone (410); notifier disabled until restart');
      await outbox.finish(row.id, this.#owner, {
        status: 'failed',
        attempts: attempt,
        finishedAt: this.#clock.now(),
        error: result.reason,
      });
      return;
    }
    if (result.verdict === 'fail' || attempt >= this.#maxAttempts) {
      return giveUp(result.reason, attempt, log);
    }
    const delay = nextDelay(attempt, result.retryAfterMs, this.#delays);
    this.#logger.warn({ ...log, retryInMs: delay }, 'notification attempt failed; will retry');
    await outbox.finish(row.id, this.#owner, {
      status: 'pending',
      attempts: attempt,
      nextAttemptAt: this.#clock.now() + delay,
      error: result.reason,
    });
    if (!this.#closed) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#kick();
      }, delay).unref();
      this.#timers.add(timer);
    }
  }

  /**
   * Stops accepting notifications and waits up to `timeoutMs` for deliveries in flight and
   * their retries; whatever is left then is abandoned (and logged) rather than awaited.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poller);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    // A look at the outbox under way may still start attempts: they are awaited too.
    const settled = (this.#pump ?? Promise.resolve()).then(() =>
      Promise.allSettled([...this.#pending]),
    );
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
