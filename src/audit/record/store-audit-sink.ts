import { type Logger, pino } from 'pino';
import type { AuditSink, CommandRecord, SessionRecord } from '../../core/audit-sink.js';
import { type Clock, systemClock } from '../../core/clock.js';
import type { CaptureLimits, CommandOutcome } from '../../core/command.js';
import { GatehouseError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { AuditJournal, journalDir } from '../write/audit-journal.js';
import { type AuditOp, writeAuditBatch } from '../write/audit-writes.js';
import {
  type CommitObservation,
  GroupCommit,
  type GroupCommitStats,
} from '../write/group-commit.js';
import { JournalIngestor } from '../write/journal-ingestor.js';
import { type CheckpointStats, SqliteAuditWriter } from '../write/sqlite-audit-writer.js';
import {
  commandEvent,
  type NewAuditEvent,
  outcomeEvent,
  type SessionKeys,
  sessionEndEvent,
  sessionStartEvent,
} from './audit-event.js';

export interface StoreAuditSinkOptions {
  /** Told of every grouped commit as it settles (the gateway's metrics). */
  onCommit?: (commit: CommitObservation) => void;
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
  /** `audit.capture`: captured results are cut to these caps (default 100 rows, 64 KiB). */
  capture?: CaptureLimits;
  /**
   * SQLite: the writer threads that commit (default: started for `store.sqlite`; the sink
   * closes them). Given here by tests that need to reach the thread.
   */
  sqliteWriter?: SqliteAuditWriter;
  /**
   * SQLite file with `synchronous: normal`: commit to the audit journal and chain from it
   * (default true; see class doc). False commits each batch to the chain directly.
   */
  journal?: boolean;
  /** Journal segment size at which a new segment starts (default 4 MiB). */
  journalSegmentBytes?: number;
  /**
   * Journalled records not yet chained at most (default 5000, ~0.2 s of chaining): a commit
   * beyond it waits for the chain to catch up.
   */
  journalBacklog?: number;
}

export interface AuditSinkStats extends GroupCommitStats {
  /** Completion records dropped because the queue was full while the store was failing. */
  dropped: number;
  /** SQLite: the checkpoint thread's work (see SqliteAuditWriter). */
  checkpoints?: CheckpointStats;
  /** Journal: records journalled but not yet chained, and segment files held. */
  journal?: { backlog: number; segments: number };
}

const RESOLVED = Promise.resolve();

/**
 * The gate's audit sink over the store, with grouped commits: every record submitted while a
 * commit is in flight, or in the same turn of the event loop, goes into the next transaction
 * (at most `maxBatch` records), so N concurrent sessions cost about one commit per turn
 * instead of N. Each record is one appended row of the hash chain (src/audit, docs/audit.md),
 * encoded when it is submitted and hashed inside the transaction that holds the chain head.
 * On a SQLite file the transactions run in a worker thread with its own connection
 * (SqliteAuditWriter), so the event loop neither runs SQLite nor waits on a checkpoint;
 * on PostgreSQL (and in-memory SQLite) they go through the store's Kysely handle.
 * On a SQLite file with `synchronous: normal` a batch's commit is instead one write to the
 * audit journal (AuditJournal, same promise: survives a process crash), and the writer thread
 * chains journalled records moments later (JournalIngestor); `flush` waits for that too.
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
  readonly #maxBacklog: number;
  readonly #capture: CaptureLimits;
  /** Open sessions' connector and subject, repeated on their later records. */
  readonly #sessions = new Map<string, SessionKeys>();
  readonly #writer: SqliteAuditWriter | undefined;
  readonly #journal: AuditJournal | undefined;
  readonly #ingestor: JournalIngestor | undefined;
  #dropped = 0;
  /** Records an earlier run left in the journal are still being chained. */
  #recovering = false;
  #closed: Promise<void> | undefined;

  constructor(
    store: Pick<Store, 'db' | 'dialect'> & Partial<Pick<Store, 'sqlite'>>,
    options: StoreAuditSinkOptions = {},
  ) {
    this.#batched = options.durability === 'batched';
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#maxQueued = options.maxQueued ?? 50_000;
    this.#maxBacklog = options.journalBacklog ?? 5000;
    this.#capture = options.capture ?? { maxRows: 100, maxBytes: 65_536 };
    const writer =
      options.sqliteWriter ??
      (store.dialect === 'sqlite' && store.sqlite
        ? new SqliteAuditWriter(store.sqlite, { logger: this.#logger })
        : undefined);
    this.#writer = writer;
    const retryMs = options.retryMs ?? { min: 100, max: 5000 };
    if (writer && store.sqlite?.synchronous === 'normal' && options.journal !== false) {
      const journal = new AuditJournal(journalDir(store.sqlite.path), {
        maxSegmentBytes: options.journalSegmentBytes,
      });
      const ingestor = new JournalIngestor(journal, {
        append: (batch) => writer.append(batch),
        logger: this.#logger,
        maxRecords: options.maxBatch ?? 500,
        retryMs,
      });
      const recovered = journal.recover();
      for (const segment of recovered) {
        const events = segment.entries.map((entry) => entry.event);
        // Records of the same segment may have been journalled at different times.
        for (const entry of segment.entries) {
          ingestor.add({
            segment: segment.number,
            recordedAt: entry.recordedAt,
            events: [entry.event],
            retried: [true],
          });
        }
        this.#logger.warn(
          { segment: segment.number, records: events.length, torn: segment.torn },
          'audit journal left by an earlier run: chaining its records',
        );
      }
      this.#journal = journal;
      this.#ingestor = ingestor;
      this.#recovering = recovered.length > 0;
    }
    const journalled = this.#ingestor;
    this.#queue = new GroupCommit<AuditOp>({
      commit: journalled
        ? (batch) => this.#journalCommit(batch, journalled)
        : writer
          ? (batch) => writer.commit(batch, this.#clock.now())
          : (batch) =>
              store.db
                .transaction()
                .execute((trx) => writeAuditBatch(trx, store.dialect, batch, this.#clock.now())),
      // A refused session or command never happened, so it is not written later; outcomes,
      // session ends and batched decisions already acknowledged must not be lost.
      retain: (op, rejected) =>
        op.kind === 'completed' || op.kind === 'ended' || (op.kind === 'decided' && !rejected),
      logger: this.#logger,
      maxBatch: options.maxBatch ?? 500,
      flushMs: options.flushMs ?? 50,
      retryMs,
      observe: options.onCommit,
    });
  }

  sessionStarted(record: SessionRecord): Promise<void> {
    const event = this.#build(() => sessionStartEvent(record));
    if (!event) return unrecordable();
    this.#sessions.set(record.id, {
      connector: record.connector,
      subject: record.identity.subject,
    });
    return this.#waitFor({ kind: 'session', event }).catch((err: unknown) => {
      this.#sessions.delete(record.id);
      throw err;
    });
  }

  commandDecided(record: CommandRecord): Promise<void> {
    const event = this.#build(() => commandEvent(record, this.#sessions.get(record.sessionId)));
    if (!event) return unrecordable();
    if (
      this.#batched &&
      !this.#closed &&
      this.#queue.healthy &&
      (this.#ingestor?.healthy ?? true) &&
      this.#queue.size < this.#maxQueued
    ) {
      this.#queue.submit({ kind: 'decided', event });
      return RESOLVED;
    }
    return this.#waitFor({ kind: 'decided', event });
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
    const keys = this.#sessions.get(sessionId);
    const now = this.#clock.now();
    const event =
      this.#build(() => outcomeEvent(sessionId, seq, outcome, now, this.#capture, keys)) ??
      this.#build(() =>
        outcomeEvent(
          sessionId,
          seq,
          { error: { message: 'outcome could not be recorded' }, durationMs: 0 },
          now,
          this.#capture,
          keys,
        ),
      );
    if (event) this.#queue.submit({ kind: 'completed', event });
  }

  sessionEnded(sessionId: string, reason: string, endedAt: number): Promise<void> {
    const keys = this.#sessions.get(sessionId);
    this.#sessions.delete(sessionId);
    const event = this.#build(() => sessionEndEvent(sessionId, reason, endedAt, keys));
    if (!event) return unrecordable();
    return this.#waitFor({ kind: 'ended', event });
  }

  /**
   * Resolves true once everything submitted so far is committed, and with a journal chained
   * (false after `timeoutMs`).
   */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    if (!(await this.#queue.flush(timeoutMs))) return false;
    return this.#ingestor ? this.#ingestor.drained(deadline - Date.now()) : true;
  }

  /**
   * Resolves once the records journalled before the call are chained, so readers in this
   * process see them (at most `timeoutMs`; then readers see the chain as it is). Without a
   * journal a committed record is in the chain already.
   */
  async caughtUp(timeoutMs = 2000): Promise<void> {
    await this.#ingestor?.caughtUp(timeoutMs);
  }

  /**
   * Refuses new records, commits what is queued (waiting up to `timeoutMs`, default 5 s, while
   * the store fails) and logs what could not be written. Idempotent.
   */
  close(timeoutMs = 5000): Promise<void> {
    this.#closed ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      await this.#queue.flush(timeoutMs);
      const left = this.#queue.stop();
      if (this.#ingestor && this.#journal) {
        await this.#ingestor.drained(Math.max(0, deadline - Date.now()));
        await this.#ingestor.stop();
        if (!this.#journal.close()) {
          this.#logger.error(
            { records: this.#ingestor.backlog, journal: this.#journal.dir },
            'audit store unavailable at shutdown: records stay in the journal, chained at the next start',
          );
        }
      }
      await this.#writer?.close();
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
    const stats: AuditSinkStats = { ...this.#queue.stats(), dropped: this.#dropped };
    if (this.#writer) stats.checkpoints = this.#writer.checkpointStats();
    if (this.#ingestor && this.#journal) {
      stats.healthy &&= this.#ingestor.healthy;
      stats.journal = { backlog: this.#ingestor.backlog, segments: this.#journal.segments };
    }
    return stats;
  }

  /**
   * A batch's commit with a journal: one write to the journal, then the records are handed to
   * the ingestor. Waits while records left by an earlier run are still being chained and while
   * the unchained backlog is full; refused (so the waiters fail closed) while chaining fails.
   */
  async #journalCommit(batch: AuditOp[], ingestor: JournalIngestor): Promise<void> {
    const journal = this.#journal!;
    // Records an earlier run left come first; and the unchained backlog stays under
    // `journalBacklog`: the batch waits for the chain to catch up (as a direct commit would).
    while (
      ingestor.healthy &&
      ingestor.backlog > 0 &&
      (this.#recovering || ingestor.backlog + batch.length > this.#maxBacklog)
    ) {
      await ingestor.nextAttempt();
    }
    this.#recovering &&= ingestor.backlog > 0;
    if (!ingestor.healthy) {
      throw new Error('the audit chain cannot take records right now', {
        cause: ingestor.failure,
      });
    }
    const events: NewAuditEvent[] = [];
    const retried: boolean[] = [];
    for (const op of batch) {
      events.push(op.event);
      retried.push(op.attempted === true);
      op.attempted = true;
    }
    const recordedAt = this.#clock.now();
    const segment = journal.append(events, recordedAt);
    ingestor.add({ segment, recordedAt, events, retried });
  }

  /** Encodes a record; a value that cannot be encoded is logged, and the caller fails closed. */
  #build(encode: () => NewAuditEvent): NewAuditEvent | undefined {
    try {
      return encode();
    } catch (err) {
      this.#logger.error({ err }, 'audit record could not be encoded');
      return undefined;
    }
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

function unrecordable(): Promise<void> {
  return Promise.reject(
    new GatehouseError('internal', 'this could not be recorded for audit, so it is refused'),
  );
}
