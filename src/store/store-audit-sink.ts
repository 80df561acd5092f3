import { type Logger, pino } from 'pino';
import type { AuditSink, CommandRecord, SessionRecord } from '../core/audit-sink.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { CommandOutcome } from '../core/command.js';
import { GatehouseError } from '../core/errors.js';
import { type AuditOp, writeAuditBatch } from './audit-writes.js';
import { GroupCommit, type GroupCommitStats } from './group-commit.js';
import type { Store } from './store.js';

export interface StoreAuditSinkOptions {
  /**
   * `strict` (default): `commandDecided` resolves once the record is committed.
   * `batched`: it resolves at once and the record is committed within `flushMs` (see class doc).
   */
  durability?: 'strict' | 'batched';
  logger?: Logger;
  clock?: Clock;
  /** Most records per transaction (default 500). */
  maxBatch?: number;
  /** Longest a record nobody waits on is held before its commit starts (default 50 ms). */
  flushMs?: number;
  /** Records held in memory at most (default 50 000); see class doc for what happens beyond. */
  maxQueued?: number;
  /** Retry delay after a failed commit, doubling (default 100 ms to 5 s). */
  retryMs?: { min: number; max: number };
}

export interface AuditSinkStats extends GroupCommitStats {
  /** Completion records dropped because the queue was full while the store was failing. */
  dropped: number;
}

const RESOLVED = Promise.resolve();

/**
 * The gate's audit sink over the store, with grouped commits: every record submitted while a
 * commit is in flight, or in the same turn of the event loop, goes into the next transaction
 * (at most `maxBatch` records), so N concurrent sessions cost about one commit per turn
 * instead of N.
 *
 * - `sessionStarted`, `sessionEnded` and (strict) `commandDecided` resolve after their
 *   transaction committed and reject with `GatehouseError('store_unavailable')` when it failed;
 *   the gate then refuses the session or command (fail closed).
 * - `commandCompleted` returns at once; the outcome is written with the next batch, at most
 *   `flushMs` later, and a failed commit puts it back in the queue, retried until it commits.
 *   `sessionEnded` is retried the same way after its promise rejected.
 * - `durability: 'batched'`: `commandDecided` resolves immediately and its record commits at
 *   most `flushMs` (50 ms) after submission, or as soon as `maxBatch` records are queued (plus
 *   the remainder of a commit already in flight). While the store is failing, or once
 *   `maxQueued` records are held, it behaves as strict, so it fails closed instead of buffering.
 *   Records already acknowledged are kept and retried like completions.
 * - Once `maxQueued` records are held, further completions are dropped and counted (`stats()`).
 */
export class StoreAuditSink implements AuditSink {
  readonly #queue: GroupCommit<AuditOp>;
  readonly #batched: boolean;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxQueued: number;
  #dropped = 0;
  #closed: Promise<void> | undefined;

  constructor(store: Pick<Store, 'db'>, options: StoreAuditSinkOptions = {}) {
    this.#batched = options.durability === 'batched';
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#maxQueued = options.maxQueued ?? 50_000;
    this.#queue = new GroupCommit<AuditOp>({
      commit: (batch) => store.db.transaction().execute((trx) => writeAuditBatch(trx, batch)),
      // A refused session or command never happened, so it is not written later; outcomes,
      // session ends and batched decisions already acknowledged must not be lost.
      retain: (op, rejected) =>
        op.kind === 'completed' || op.kind === 'ended' || (op.kind === 'decided' && !rejected),
      logger: this.#logger,
      maxBatch: options.maxBatch ?? 500,
      flushMs: options.flushMs ?? 50,
      retryMs: options.retryMs ?? { min: 100, max: 5000 },
    });
  }

  sessionStarted(record: SessionRecord): Promise<void> {
    return this.#waitFor({ kind: 'session', record });
  }

  commandDecided(record: CommandRecord): Promise<void> {
    if (
      this.#batched &&
      !this.#closed &&
      this.#queue.healthy &&
      this.#queue.size < this.#maxQueued
    ) {
      this.#queue.submit({ kind: 'decided', record });
      return RESOLVED;
    }
    return this.#waitFor({ kind: 'decided', record });
  }

  commandCompleted(sessionId: string, seq: number, outcome: CommandOutcome): void {
    if (this.#closed || this.#queue.size >= this.#maxQueued) {
      if (this.#dropped++ === 0) {
        this.#logger.error(
          { session: sessionId, seq },
          'audit queue full or closed: dropping command outcomes',
        );
      }
      return;
    }
    this.#queue.submit({
      kind: 'completed',
      sessionId,
      seq,
      outcome,
      completedAt: this.#clock.now(),
    });
  }

  sessionEnded(sessionId: string, reason: string, endedAt: number): Promise<void> {
    return this.#waitFor({ kind: 'ended', sessionId, reason, endedAt });
  }

  /** Resolves true once everything submitted so far is committed (false after `timeoutMs`). */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.#queue.flush(timeoutMs);
  }

  /**
   * Refuses new records, commits what is queued (waiting up to `timeoutMs`, default 5 s, while
   * the store fails) and logs what could not be written. Idempotent.
   */
  close(timeoutMs = 5000): Promise<void> {
    this.#closed ??= (async () => {
      await this.#queue.flush(timeoutMs);
      const left = this.#queue.stop();
      if (left.length > 0) {
        this.#logger.error(
          { records: left.length },
          'audit store unavailable at shutdown: records lost',
        );
      }
    })();
    return this.#closed;
  }

  stats(): AuditSinkStats {
    return { ...this.#queue.stats(), dropped: this.#dropped };
  }

  #waitFor(op: AuditOp): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new GatehouseError('store_unavailable', 'the audit sink is shut down'));
    }
    return new Promise<void>((resolve, reject) => {
      op.resolve = resolve;
      op.reject = reject;
      this.#queue.submit(op);
    });
  }
}
