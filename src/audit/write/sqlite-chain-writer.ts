import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { NewAuditEvent } from '../record/audit-event.js';
import type { recordHash } from '../record/chain-hash.js';

// Runs inside the audit writer thread, which loads it from sources (type stripping) as well as
// from dist: at run time it imports node built-ins only (see sqlite-audit-worker.ts).

/** One batch for the chain, as the main thread posts it. */
export interface ChainBatch {
  events: NewAuditEvent[];
  /** Per event: a commit holding it was tried before, so it may already be stored. */
  retried: boolean[];
  /** The batch's `recorded_at` (epoch ms, the gateway's clock). */
  recordedAt: number;
  /** Per event, when records journalled at different times are chained together. */
  recordedAtEach?: number[] | undefined;
}

export interface ChainConnectionOptions {
  busyTimeoutMs: number;
  synchronous: 'normal' | 'full';
}

/**
 * The audit writer's own connection: WAL, the store's synchronous level and busy timeout, and
 * no automatic checkpoint (a checkpoint's fsync would hold up commits; the checkpoint thread
 * does them instead).
 */
export function openChainConnection(path: string, options: ChainConnectionOptions): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec('PRAGMA wal_autocheckpoint = 0');
    // When the WAL starts over, the file is cut back to this size (4 MiB) instead of keeping
    // the largest size it ever reached.
    db.exec('PRAGMA journal_size_limit = 4194304');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

interface HeadRow {
  head_seq: number;
  head_hash: string;
}

/**
 * Appends batches to the hash chain with prepared statements, one transaction per batch:
 * BEGIN IMMEDIATE (the write lock, waiting out `busy_timeout` for another writer such as a
 * retention purge), read the head, hash and insert each record, move the head, COMMIT.
 * The same rows and hashes as `appendEvents` (src/audit/chain-append.ts).
 */
export class SqliteChainWriter {
  readonly #db: DatabaseSync;
  readonly #hash: typeof recordHash;
  readonly #begin: StatementSync;
  readonly #commit: StatementSync;
  readonly #rollback: StatementSync;
  readonly #head: StatementSync;
  readonly #moveHead: StatementSync;
  readonly #insert: StatementSync;
  readonly #stored: StatementSync;
  readonly #checkpoint: StatementSync;

  constructor(db: DatabaseSync, hash: typeof recordHash) {
    this.#db = db;
    this.#hash = hash;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    // 'main' is CHAIN_ID (src/audit/chain-append.ts), which this file cannot import.
    this.#head = db.prepare("SELECT head_seq, head_hash FROM audit_chain WHERE id = 'main'");
    this.#moveHead = db.prepare(
      "UPDATE audit_chain SET head_seq = ?, head_hash = ? WHERE id = 'main'",
    );
    this.#insert = db.prepare(
      `INSERT INTO audit_events (seq, recorded_at, kind, session_id, command_seq, at, connector,
        subject, decision, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#stored = db.prepare(
      'SELECT 1 FROM audit_events WHERE session_id IS ? AND command_seq IS ? AND kind = ? LIMIT 1',
    );
    this.#checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  }

  /**
   * Appends `batch` in one transaction and returns how many records it wrote. A retried event
   * already in the chain (its earlier commit landed though its outcome was unknown) is left out.
   * Throws after rolling back when anything fails; nothing of the batch is then stored.
   */
  append(batch: ChainBatch): number {
    const { events, retried, recordedAtEach } = batch;
    this.#begin.run();
    try {
      const head = this.#head.get() as HeadRow | undefined;
      if (!head)
        throw new Error('the audit chain head row is missing (see gatehouse audit verify)');
      let seq = Number(head.head_seq);
      let prevHash = head.head_hash;
      let written = 0;
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        if (retried[i] && this.#stored.get(event.sessionId, event.commandSeq, event.kind)) continue;
        const recordedAt = recordedAtEach?.[i] ?? batch.recordedAt;
        const hash = this.#hash(prevHash, {
          recordedAt,
          kind: event.kind,
          sessionId: event.sessionId,
          commandSeq: event.commandSeq,
          at: event.at,
          connector: event.connector,
          subject: event.subject,
          decision: event.decision,
          data: event.data,
        });
        this.#insert.run(
          ++seq,
          recordedAt,
          event.kind,
          event.sessionId,
          event.commandSeq,
          event.at,
          event.connector,
          event.subject,
          event.decision,
          event.data,
          prevHash,
          hash,
        );
        prevHash = hash;
        written++;
      }
      if (written > 0) this.#moveHead.run(seq, prevHash);
      this.#commit.run();
      return written;
    } catch (err) {
      if (this.#db.isTransaction) {
        try {
          this.#rollback.run();
        } catch {
          // The connection is closed by the caller after a failure; nothing more to undo here.
        }
      }
      throw err;
    }
  }

  /**
   * A PASSIVE checkpoint on this connection: false when another connection's checkpoint was
   * running (nothing done), true once it ran.
   */
  checkpoint(): boolean {
    const row = this.#checkpoint.get() as { busy: number } | undefined;
    return row?.busy === 0;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
