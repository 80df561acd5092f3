import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';

/**
 * The store backends every store test runs against. PostgreSQL is the machine's server
 * (GATEHOUSE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres); each
 * test database is created with a unique name and dropped after.
 */
export interface TestBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Why the backend cannot run here; undefined when it can. */
  readonly unavailable?: string;
  /** A fresh, empty store URL plus the means to break it for real and repair it. */
  create(): Promise<TestDatabase>;
}

export interface TestDatabase {
  readonly url: string;
  /** Makes writes fail the way production sees it (lock held elsewhere / database refusing connections). */
  break(): Promise<void>;
  repair(): Promise<void>;
  drop(): Promise<void>;
}

export const POSTGRES_ADMIN_URL =
  process.env['GATEHOUSE_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

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

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: POSTGRES_ADMIN_URL,
    connectionTimeoutMillis: 3000,
  });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function postgresUnavailable(): Promise<string | undefined> {
  try {
    await admin((client) => client.query('select 1'));
    return undefined;
  } catch (err) {
    const reason = `PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL} (${(err as Error).message})`;
    if (process.env['CI'] === 'true')
      throw new Error(`${reason}; CI must run the PostgreSQL store tests`);
    return `${reason}: start PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres, or set GATEHOUSE_TEST_POSTGRES_URL`;
  }
}

const postgres: TestBackend = {
  name: 'postgres',
  unavailable: await postgresUnavailable(),
  async create() {
    const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
    await admin((client) => client.query(`create database ${name}`));
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    const kick = (client: pg.Client) =>
      client.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
    return {
      url: url.toString(),
      // The database stops accepting connections and every open one is cut, as in a failover.
      async break() {
        await admin(async (client) => {
          await client.query(`alter database ${name} allow_connections false`);
          await kick(client);
        });
      },
      async repair() {
        await admin((client) => client.query(`alter database ${name} allow_connections true`));
      },
      async drop() {
        await admin((client) => client.query(`drop database if exists ${name} with (force)`));
      },
    };
  },
};

export const backends: ReadonlyArray<TestBackend> = [sqlite, postgres];

for (const backend of backends) {
  if (backend.unavailable)
    console.warn(`${backend.name} store tests skipped: ${backend.unavailable}`);
}
