import type { Logger } from 'pino';
import type { NewAuditEvent } from '../record/audit-event.js';
import type { AuditJournal } from './audit-journal.js';
import type { ChainBatch } from './chain-append.js';

/** Records journalled together, on their way to the chain. */
export interface JournalBatch {
  segment: number;
  recordedAt: number;
  events: NewAuditEvent[];
  /** Per event: it may already be chained (a retry, or a record recovered after a crash). */
  retried: boolean[];
}

export interface JournalIngestorOptions {
  /** Appends one batch to the chain (SqliteAuditWriter.append). */
  append(batch: ChainBatch): Promise<void>;
  logger: Logger;
  /** Most records per chain transaction (default 500). */
  maxRecords?: number;
  /**
   * How long records wait for others to join their chain transaction while fewer than
   * `maxRecords` are queued (default 25 ms). They are durable in the journal already; what a
   * transaction costs is mostly fixed (the WAL pages it rewrites), so fewer, fuller ones cost
   * far less per record. `drained` cuts the wait short.
   */
  coalesceMs?: number;
  /** Retry delay after a failed transaction, doubling from min to max (ms). */
  retryMs: { min: number; max: number };
}

/**
 * Moves journalled records into the hash chain, in journal order, one transaction at a time,
 * each holding everything queued (up to `maxRecords`) after a short coalescing wait. A failed transaction keeps its records
 * at the head of the queue, marks them retried (its outcome may be unknown, so they are looked
 * up before being inserted again) and is retried with backoff; `healthy` is false until one
 * succeeds, and the sink refuses new records meanwhile (fail closed).
 */
export class JournalIngestor {
  readonly #journal: AuditJournal;
  readonly #options: JournalIngestorOptions;
  readonly #maxRecords: number;
  readonly #coalesceMs: number;
  #queue: JournalBatch[] = [];
  #backlog = 0;
  /** Records added, and records chained (or found chained already), since the start. */
  #added = 0;
  #chained = 0;
  #running = false;
  #stopped = false;
  #scheduled = false;
  /** Somebody waits for the backlog to drain: chain without the coalescing wait. */
  #urgent = false;
  #timer: NodeJS.Timeout | undefined;
  #retryMs: number;
  #failure: Error | undefined;
  #afterAttempt: Array<() => void> = [];

  constructor(journal: AuditJournal, options: JournalIngestorOptions) {
    this.#journal = journal;
    this.#options = options;
    this.#maxRecords = options.maxRecords ?? 500;
    this.#coalesceMs = options.coalesceMs ?? 25;
    this.#retryMs = options.retryMs.min;
  }

  /** Records journalled and not yet chained. */
  get backlog(): number {
    return this.#backlog;
  }

  /** False from a failed transaction until the next one that succeeds. */
  get healthy(): boolean {
    return this.#failure === undefined;
  }

  /** Why the last transaction failed, while unhealthy. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  add(batch: JournalBatch): void {
    if (batch.events.length === 0) return;
    this.#queue.push(batch);
    this.#backlog += batch.events.length;
    this.#added += batch.events.length;
    if (this.healthy) this.#schedule();
  }

  /** Resolves once the transaction in flight, or the next one, has settled. */
  nextAttempt(): Promise<void> {
    return new Promise((resolve) => this.#afterAttempt.push(resolve));
  }

  /** Resolves true once nothing is left to chain, false when `timeoutMs` passed first. */
  drained(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    return this.#chainUntil(() => this.#backlog === 0, timeoutMs);
  }

  /**
   * Resolves true once every record added before the call is chained (records added later
   * need not be), false when `timeoutMs` passed first or at once while chaining fails.
   * Chains without the coalescing wait.
   */
  caughtUp(timeoutMs: number): Promise<boolean> {
    if (!this.healthy) return Promise.resolve(false);
    const target = this.#added;
    return this.#chainUntil(() => this.#chained >= target, timeoutMs);
  }

  async #chainUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.#stopped) return false;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      this.#urgent = true;
      if (!this.#running) {
        // Waiting for the retry or coalescing timer would overshoot a short timeout: try now.
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#scheduled = false;
        this.#schedule();
      }
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(remaining) ? setTimeout(resolve, remaining) : undefined;
        this.#afterAttempt.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** No further transactions start; resolves once the one in flight settled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#running) await this.nextAttempt();
  }

  #schedule(): void {
    if (this.#stopped || this.#running || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      this.#timer = undefined;
      void this.#run();
    };
    if (this.#urgent || this.#backlog >= this.#maxRecords || this.#coalesceMs <= 0) {
      setImmediate(run);
    } else {
      this.#timer = setTimeout(run, this.#coalesceMs);
    }
  }

  async #run(): Promise<void> {
    if (this.#stopped || this.#running || this.#queue.length === 0) return;
    this.#running = true;
    let taken = 0;
    let records = 0;
    const batch: ChainBatch = { events: [], retried: [], recordedAt: 0, recordedAtEach: [] };
    for (const entry of this.#queue) {
      if (taken > 0 && records + entry.events.length > this.#maxRecords) break;
      taken++;
      records += entry.events.length;
      for (let i = 0; i < entry.events.length; i++) {
        batch.events.push(entry.events[i]!);
        batch.retried.push(entry.retried[i] === true);
        batch.recordedAtEach!.push(entry.recordedAt);
      }
    }
    batch.recordedAt = this.#queue[0]!.recordedAt;
    try {
      await this.#options.append(batch);
      const done = this.#queue.splice(0, taken);
      this.#backlog -= records;
      this.#chained += records;
      if (this.#backlog === 0) this.#urgent = false;
      if (this.#failure) this.#options.logger.info('audit chain takes records again');
      this.#failure = undefined;
      this.#retryMs = this.#options.retryMs.min;
      for (const entry of done) this.#journal.chained(entry.segment, entry.events.length);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (let i = 0; i < taken; i++) this.#queue[i]!.retried.fill(true);
      if (this.#failure) {
        this.#retryMs = Math.min(this.#retryMs * 2, this.#options.retryMs.max);
      } else {
        this.#options.logger.error(
          { err: error, records },
          'audit chain ingestion failed: refusing new records until it works again',
        );
      }
      this.#failure = error;
    } finally {
      this.#running = false;
      const listeners = this.#afterAttempt;
      this.#afterAttempt = [];
      for (const listener of listeners) listener();
    }
    if (this.healthy) this.#schedule();
    else if (!this.#stopped && this.#queue.length > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        void this.#run();
      }, this.#retryMs);
    }
  }
}
