import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export interface SqliteOptions {
  /** How long a write waits for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** `normal` (WAL commit survives a process crash) or `full` (fsync per commit). */
  synchronous?: 'normal' | 'full';
}

/** How long a write waits for another connection's lock unless told otherwise (ms). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Prepared statements kept per connection; the audit writer reuses a handful of shapes. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's `SqliteDatabase` over Node's built-in `node:sqlite` (no native addon). Opens the
 * file in WAL mode (`synchronous` NORMAL by default, FULL on request), creates the
 * parent directory, caches prepared statements, and binds JS booleans as 0/1.
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(path: string, options: SqliteOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    try {
      this.#db.exec(
        `PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)}`,
      );
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    } catch (err) {
      this.#db.close();
      throw err;
    }
  }

  prepare(sql: string): SqliteStatement {
    const cached = this.#statements.get(sql);
    if (cached) return cached;
    const statement = wrap(this.#db.prepare(sql));
    if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
      this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(sql, statement);
    return statement;
  }

  close(): void {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

function wrap(statement: StatementSync): SqliteStatement {
  return {
    reader: statement.columns().length > 0,
    all: (parameters) => statement.all(...bind(parameters)),
    run: (parameters) => statement.run(...bind(parameters)),
    iterate: (parameters) => statement.iterate(...bind(parameters)),
  };
}

/** node:sqlite binds numbers, bigints, strings, buffers and null; booleans become 0/1. */
function bind(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  let needsCopy = false;
  for (const value of parameters) {
    if (typeof value === 'boolean' || value === undefined) {
      needsCopy = true;
      break;
    }
  }
  if (!needsCopy) return parameters as SQLInputValue[];
  return parameters.map((value) =>
    typeof value === 'boolean'
      ? value
        ? 1
        : 0
      : value === undefined
        ? null
        : (value as SQLInputValue),
  );
}
