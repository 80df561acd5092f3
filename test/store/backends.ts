import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

/**
 * The store backends every store test runs against. PostgreSQL is the machine's server
 * (test/helpers/pg-db.ts); each test database is created with a unique name and dropped after.
 */
export interface TestBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Why the backend cannot run here; undefined when it can. */
  readonly unavailable?: string;
  /** A fresh, empty store URL plus the means to break it for real and repair it. */
  create(): Promise<StoreDatabase>;
}

export interface StoreDatabase {
  readonly url: string;
  /** Makes writes fail the way production sees it (lock held elsewhere / database refusing connections). */
  break(): Promise<void>;
  repair(): Promise<void>;
  drop(): Promise<void>;
}

const sqlite: TestBackend = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
    const path = join(dir, 'nested', 'gatehouse.db');
    let locker: DatabaseSync | undefined;
    return {
      url: `sqlite:${path}`,
      // Another connection takes the write lock and keeps it: every write here waits out its
      // busy timeout and fails with SQLITE_BUSY, as when another process holds the database.
      async break() {
        locker = new DatabaseSync(path);
        locker.exec('BEGIN EXCLUSIVE');
      },
      async repair() {
        locker?.exec('COMMIT');
        locker?.close();
        locker = undefined;
      },
      async drop() {
        if (locker?.isOpen) locker.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: TestBackend = {
  name: 'postgres',
  // Fails in CI, warns elsewhere (test/helpers/services.ts).
  unavailable: (await requirePostgres()) ? undefined : 'PostgreSQL is not reachable',
  // The database refuses connections and every open one is cut on break(), as in a failover.
  create: () => createDatabase('gatehouse_test'),
};

export const backends: ReadonlyArray<TestBackend> = [sqlite, postgres];

for (const backend of backends) {
  if (backend.unavailable)
    console.warn(`${backend.name} store tests skipped: ${backend.unavailable}`);
}
