import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { recordHash } from '../record/chain-hash.js';
import type { appendToChainSync, ChainBatch, ChainStatements, factKey } from './chain-append.js';

// Runs inside the audit writer thread, which loads it from sources (type stripping) as well as
// from dist: at run time it imports node built-ins only (see sqlite-audit-worker.ts).

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
  base_seq: number;
  base_hash: string;
}

/**
 * What the writer runs, which the thread loads at run time (see sqlite-audit-worker.ts): the
 * chain's one append implementation (chain-append.ts) and the record hash.
 */
export interface ChainCode {
  CHAIN_ID: string;
  appendToChainSync: typeof appendToChainSync;
  factKey: typeof factKey;
  recordHash: typeof recordHash;
}

/**
 * Appends batches to the hash chain with prepared statements, one transaction per batch:
 * BEGIN IMMEDIATE (the write lock, waiting out `busy_timeout` for another writer such as a
 * retention purge), then `appendToChainSync` (chain-append.ts, the same steps as the Kysely
 * path: read the head, look up retried records, hash and insert, move the head), COMMIT.
 */
export class SqliteChainWriter {
  readonly #db: DatabaseSync;
  readonly #code: ChainCode;
  readonly #statements: ChainStatements;
  readonly #begin: StatementSync;
  readonly #commit: StatementSync;
  readonly #rollback: StatementSync;
  readonly #checkpoint: StatementSync;

  constructor(db: DatabaseSync, code: ChainCode) {
    this.#db = db;
    this.#code = code;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    this.#statements = chainStatements(db, code);
  }

  /**
   * Appends `batch` in one transaction and returns how many records it wrote. A retried event
   * already in the chain (its earlier commit landed though its outcome was unknown) is left out.
   * Throws after rolling back when anything fails; nothing of the batch is then stored.
   */
  append(batch: ChainBatch): number {
    this.#begin.run();
    try {
      const { written } = this.#code.appendToChainSync(
        this.#statements,
        batch,
        this.#code.recordHash,
      );
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

/** The chain's statements on the writer's connection, prepared once (BEGIN IMMEDIATE holds the head). */
function chainStatements(db: DatabaseSync, code: ChainCode): ChainStatements {
  const { CHAIN_ID: chain, factKey: key } = code;
  const head = db.prepare(
    'SELECT head_seq, head_hash, base_seq, base_hash FROM audit_chain WHERE id = ?',
  );
  const moveHead = db.prepare('UPDATE audit_chain SET head_seq = ?, head_hash = ? WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO audit_events (seq, recorded_at, kind, session_id, command_seq, at, connector,
      subject, decision, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const stored = db.prepare(
    'SELECT 1 FROM audit_events WHERE session_id IS ? AND command_seq IS ? AND kind = ? LIMIT 1',
  );
  return {
    head() {
      const row = head.get(chain) as HeadRow | undefined;
      return (
        row && {
          headSeq: Number(row.head_seq),
          headHash: row.head_hash,
          baseSeq: Number(row.base_seq),
          baseHash: row.base_hash,
        }
      );
    },
    stored(events) {
      const found = new Set<string>();
      for (const event of events) {
        if (stored.get(event.sessionId, event.commandSeq, event.kind)) found.add(key(event));
      }
      return found;
    },
    insert(rows) {
      for (const row of rows) {
        insert.run(
          row.seq,
          row.recorded_at,
          row.kind,
          row.session_id,
          row.command_seq,
          row.at,
          row.connector,
          row.subject,
          row.decision,
          row.data,
          row.prev_hash,
          row.hash,
        );
      }
    },
    moveHead(seq, hash) {
      moveHead.run(seq, hash, chain);
    },
  };
}
