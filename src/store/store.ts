import { resolve } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { type Logger, pino } from 'pino';
import { GatehouseError } from '../core/errors.js';
import type { Database } from './database.js';
import { MIGRATIONS, migrationProvider, type StoreDialect } from './migrations/index.js';
import { createPostgresPool, type PostgresOptions } from './postgres-pool.js';
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  NodeSqliteDatabase,
  type SqliteOptions,
} from './sqlite-database.js';
import { parseStoreUrl, redactStoreUrl } from './store-url.js';

/** Where a SQLite store lives, for connections of its own (see Store.sqlite). */
export interface SqliteFile {
  path: string;
  busyTimeoutMs: number;
  synchronous: 'normal' | 'full';
}

export interface StoreOptions extends SqliteOptions, PostgresOptions {
  logger?: Logger;
  /**
   * Bring the schema up to date (default true: the gateway). Readers such as the CLI pass
   * false: they never change a store a running gateway owns, and fail with a clear error when
   * its schema is not the one this version reads.
   */
  migrate?: boolean;
}

/** The audit store: one Kysely handle over SQLite (embedded) or PostgreSQL (shared by replicas). */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  /**
   * A SQLite store's file and settings, for connections of its own (the audit writer thread);
   * undefined for PostgreSQL and for `sqlite::memory:`, which no other connection can share.
   */
  readonly sqlite?: SqliteFile | undefined;
  /** Resolves when the store answers a query; rejects otherwise. */
  ping(): Promise<void>;
  /** Closes every connection. Idempotent. */
  close(): Promise<void>;
  /**
   * Awaited by readers of what this process wrote before they read (the audit session queries,
   * src/audit/read/session-queries.ts): the gateway's audit sink sets it so this process reads
   * its own records even while they are journalled and not yet chained.
   */
  beforeRead: (() => Promise<void>) | undefined;
}

/**
 * Opens the store named by `url` (`sqlite:PATH` or `postgres://…`) and brings its schema up to
 * date (migrations are append-only and run under Kysely's migration lock, so replicas starting
 * together are safe). Throws `store_unavailable` when the store cannot be reached or migrated,
 * `TypeError` for an unsupported URL. The URL's password never appears in errors or logs.
 */
export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url);
  const logger = options.logger ?? pino({ level: 'silent' });
  const described = redactStoreUrl(url);
  let db: Kysely<Database>;
  try {
    db =
      location.dialect === 'sqlite'
        ? new Kysely<Database>({
            dialect: new SqliteDialect({
              database: new NodeSqliteDatabase(location.path, options),
            }),
          })
        : new Kysely<Database>({
            dialect: new PostgresDialect({
              pool: createPostgresPool(location.url, logger, options),
            }),
          });
  } catch (err) {
    throw unavailable(`cannot open store ${described}`, err);
  }
  try {
    if (options.migrate === false) await checkSchema(db);
    else await migrate(db, location.dialect, logger);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw unavailable(`cannot open store ${described}`, err);
  }
  logger.info({ store: described, dialect: location.dialect }, 'store open');
  const sqlite =
    location.dialect === 'sqlite' && location.path !== ':memory:'
      ? {
          path: resolve(location.path),
          busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
          synchronous: options.synchronous ?? 'normal',
        }
      : undefined;
  return new KyselyStore(db, location.dialect, sqlite);
}

/** Chains SQLite migrations in this process; see `migrate`. */
let sqliteMigrations: Promise<unknown> = Promise.resolve();

/**
 * Brings the schema up to date. PostgreSQL: Kysely's migration lock (a row lock) serialises
 * replicas. SQLite: Kysely takes no lock there, so the whole run happens inside
 * `BEGIN IMMEDIATE` (other processes wait on the file lock, and a failed migration rolls back
 * completely), and runs in this process are chained, because a second connection busy-waiting
 * on the lock would block the event loop the first one needs to finish.
 */
async function migrate(db: Kysely<Database>, dialect: StoreDialect, logger: Logger): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    migrationTableName: 'gatehouse_migration',
    migrationLockTableName: 'gatehouse_migration_lock',
  });
  const run = async () => {
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) throw error;
    for (const result of results) {
      logger.info({ migration: result.migrationName, status: result.status }, 'store migration');
    }
  };
  if (dialect === 'postgres') return run();
  const runLocked = async () => {
    await sql`begin immediate`.execute(db);
    try {
      await run();
      await sql`commit`.execute(db);
    } catch (err) {
      await sql`rollback`.execute(db).catch(() => undefined);
      throw err;
    }
  };
  const done = sqliteMigrations.then(runLocked);
  sqliteMigrations = done.catch(() => undefined);
  return done;
}

/** Throws unless every migration this version knows, and no other, has been applied. */
async function checkSchema(db: Kysely<Database>): Promise<void> {
  const known = MIGRATIONS.map(([name]) => name);
  let applied: string[];
  try {
    const result = await sql<{ name: string }>`select name from gatehouse_migration`.execute(db);
    applied = result.rows.map((row) => row.name);
  } catch {
    throw new Error('it holds no gatehouse schema (start the gateway on it once)');
  }
  const missing = known.filter((name) => !applied.includes(name));
  const unknown = applied.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(`its schema is newer than this gatehouse (${unknown.join(', ')})`);
  }
  if (missing.length > 0) {
    throw new Error(
      `its schema is older than this gatehouse (missing ${missing.join(', ')}); start the gateway on it once to migrate`,
    );
  }
}

class KyselyStore implements Store {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  readonly sqlite: SqliteFile | undefined;
  beforeRead: (() => Promise<void>) | undefined;
  #closing: Promise<void> | undefined;

  constructor(db: Kysely<Database>, dialect: StoreDialect, sqlite: SqliteFile | undefined) {
    this.db = db;
    this.dialect = dialect;
    this.sqlite = sqlite;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  close(): Promise<void> {
    this.#closing ??= this.db.destroy();
    return this.#closing;
  }
}

function unavailable(message: string, cause: unknown): GatehouseError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new GatehouseError('store_unavailable', `${message}: ${reason}`, {}, { cause });
}
