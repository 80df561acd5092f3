import type { Logger } from 'pino';
import { GatehouseError } from '../../core/errors.js';

/** An op that someone may be waiting on; the queue settles and then clears these. */
export interface Waitable {
  resolve?: (() => void) | undefined;
  reject?: ((err: Error) => void) | undefined;
}

export interface GroupCommitOptions<T> {
  /** Writes a batch in one transaction; rejects when nothing of it committed. */
  commit(batch: T[]): Promise<void>;
  /**
   * True for ops that must survive a failed commit and be retried. `rejected` tells whether a
   * waiter was just told the op failed (so it usually must not be written later).
   */
  retain(op: T, rejected: boolean): boolean;
  logger: Logger;
  /** Most ops per transaction. */
  maxBatch: number;
  /** Longest an op nobody waits on stays queued before a commit starts (ms). */
  flushMs: number;
  /** Retry delay after a failed commit, doubling from min to max (ms). */
  retryMs: { min: number; max: number };
  /** Told of every commit as it settles (metrics). */
  observe?: (commit: CommitObservation) => void;
}

/** One commit as it settled: whether it committed, how many ops, how long it took (ms). */
export interface CommitObservation {
  ok: boolean;
  records: number;
  ms: number;
}

export interface GroupCommitStats {
  /** Transactions committed. */
  commits: number;
  /** Transactions that failed. */
  failedCommits: number;
  /** Ops committed. */
  records: number;
  /** Largest batch committed. */
  maxBatchSize: number;
  /** Committed batches by size: key n counts batches of size in (n/2, n]. */
  batchSizes: Record<number, number>;
  /** Time spent in committed transactions (ms). */
  commitMs: number;
  /** Ops queued and not yet committed. */
  queued: number;
  /** False from a failed commit until the next successful one. */
  healthy: boolean;
}

/**
 * Group commit: ops submitted while a transaction is in flight, or in the same turn of the
 * event loop, are written together in the next transaction. One transaction at a time, ops in
 * submission order. Scheduling: a commit starts on the next turn of the loop when anyone waits
 * on a queued op or `maxBatch` ops are queued; otherwise (ops nobody waits on) at most
 * `flushMs` after the oldest was queued, or, after a failure, after the retry delay.
 * A failed commit rejects every waiter in it with `store_unavailable` and puts the ops that
 * `retain` back at the head of the queue; the queue recovers on the next commit that works.
 */
export class GroupCommit<T extends Waitable> {
  readonly #options: GroupCommitOptions<T>;
  #queue: T[] = [];
  #waiting = 0;
  #committing = false;
  #stopped = false;
  #immediate = false;
  #due = false;
  #timer: NodeJS.Timeout | undefined;
  #retryMs: number;
  #afterCommit: Array<() => void> = [];
  readonly #stats: Omit<GroupCommitStats, 'queued'> = {
    commits: 0,
    failedCommits: 0,
    records: 0,
    maxBatchSize: 0,
    batchSizes: {},
    commitMs: 0,
    healthy: true,
  };

  constructor(options: GroupCommitOptions<T>) {
    this.#options = options;
    this.#retryMs = options.retryMs.min;
  }

  get size(): number {
    return this.#queue.length;
  }

  get healthy(): boolean {
    return this.#stats.healthy;
  }

  submit(op: T): void {
    this.#queue.push(op);
    if (op.resolve) this.#waiting++;
    this.#schedule();
  }

  /**
   * Commits everything queued; resolves true once the queue is empty, false when `timeoutMs`
   * passed first (the store is failing and retained ops are still queued).
   */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ((this.#queue.length > 0 && !this.#stopped) || this.#committing) {
      if (!this.#committing && this.healthy) this.#due = true;
      this.#schedule();
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await this.#nextCommit(remaining);
    }
    return true;
  }

  /**
   * Stops for good: no further commits start (one in flight still settles), queued waiters are
   * rejected with `store_unavailable`, and the ops that were still queued are returned.
   */
  stop(): T[] {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const left = this.#queue;
    this.#queue = [];
    this.#waiting = 0;
    const error = new GatehouseError('store_unavailable', 'the audit store is shut down');
    for (const op of left) {
      const reject = op.reject;
      op.resolve = op.reject = undefined;
      reject?.(error);
    }
    return left;
  }

  stats(): GroupCommitStats {
    return {
      ...this.#stats,
      batchSizes: { ...this.#stats.batchSizes },
      queued: this.#queue.length,
    };
  }

  #schedule(): void {
    if (this.#stopped || this.#committing || this.#queue.length === 0) return;
    if (this.#waiting > 0 || this.#due || this.#queue.length >= this.#options.maxBatch) {
      if (!this.#immediate) {
        this.#immediate = true;
        setImmediate(this.#run);
      }
      return;
    }
    this.#timer ??= setTimeout(this.#onTimer, this.healthy ? this.#options.flushMs : this.#retryMs);
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#due = true;
    this.#run();
  };

  readonly #run = (): void => {
    this.#immediate = false;
    void this.#commitNext();
  };

  async #commitNext(): Promise<void> {
    if (this.#stopped || this.#committing || this.#queue.length === 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const { maxBatch } = this.#options;
    let batch: T[];
    if (this.#queue.length <= maxBatch) {
      batch = this.#queue;
      this.#queue = [];
    } else {
      batch = this.#queue.splice(0, maxBatch);
    }
    this.#due = this.#due && this.#queue.length > 0;
    for (const op of batch) if (op.resolve) this.#waiting--;
    this.#committing = true;
    const started = performance.now();
    try {
      await this.#options.commit(batch);
      const ms = performance.now() - started;
      this.#succeeded(batch, ms);
      this.#options.observe?.({ ok: true, records: batch.length, ms });
    } catch (err) {
      this.#failed(batch, err);
      this.#options.observe?.({
        ok: false,
        records: batch.length,
        ms: performance.now() - started,
      });
    } finally {
      this.#committing = false;
      const listeners = this.#afterCommit;
      this.#afterCommit = [];
      for (const listener of listeners) listener();
      this.#schedule();
    }
  }

  #succeeded(batch: T[], ms: number): void {
    const stats = this.#stats;
    if (!stats.healthy) this.#options.logger.info('audit store writable again');
    stats.healthy = true;
    this.#retryMs = this.#options.retryMs.min;
    stats.commits++;
    stats.records += batch.length;
    stats.commitMs += ms;
    stats.maxBatchSize = Math.max(stats.maxBatchSize, batch.length);
    const bucket = 2 ** Math.ceil(Math.log2(batch.length));
    stats.batchSizes[bucket] = (stats.batchSizes[bucket] ?? 0) + 1;
    for (const op of batch) {
      const resolve = op.resolve;
      op.resolve = op.reject = undefined;
      resolve?.();
    }
  }

  #failed(batch: T[], cause: unknown): void {
    const stats = this.#stats;
    stats.failedCommits++;
    if (stats.healthy) {
      this.#options.logger.error(
        { err: cause, records: batch.length },
        'audit store commit failed',
      );
    } else {
      this.#retryMs = Math.min(this.#retryMs * 2, this.#options.retryMs.max);
    }
    stats.healthy = false;
    const error = new GatehouseError(
      'store_unavailable',
      'the audit store cannot record this right now, so it is refused',
      { hint: 'retry once the gateway store is available again' },
      { cause },
    );
    const retained: T[] = [];
    for (const op of batch) {
      const reject = op.reject;
      op.resolve = op.reject = undefined;
      reject?.(error);
      if (this.#options.retain(op, reject !== undefined)) retained.push(op);
    }
    if (retained.length > 0) this.#queue = retained.concat(this.#queue);
  }

  #nextCommit(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(resolve, timeoutMs) : undefined;
      this.#afterCommit.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
