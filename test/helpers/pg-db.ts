import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { LOCAL_POSTGRES } from './services.js';

/** A uniquely named database on the local server, dropped by `drop()` / `await using`. */
export interface TestDatabase extends AsyncDisposable {
  readonly name: string;
  /** `postgres://postgres@127.0.0.1:5432/<name>` */
  readonly url: string;
  /** A connected client straight to the database (no gateway); the caller ends it. */
  connect(): Promise<pg.Client>;
  /** Runs SQL directly (no gateway) on a short-lived connection. */
  exec(sql: string): Promise<void>;
  /** Drops the database, terminating any session still connected. Idempotent. */
  drop(): Promise<void>;
}

/** A fresh name like `gh_parity_1a2b3c4d5e6f`: lowercase, safe unquoted, unique per call. */
export function uniqueName(prefix = 'gh_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Connection settings for the local server as the superuser, to `database`. */
export function localConfig(database: string): pg.ClientConfig {
  return { ...LOCAL_POSTGRES, database };
}

async function onAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client(localConfig('postgres'));
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Creates a uniquely named database on 127.0.0.1:5432 (as postgres) for one suite. */
export async function createDatabase(prefix = 'gh_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await onAdmin((admin) => admin.query(`create database ${name}`));
  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= onAdmin(async (admin) => {
      await admin.query(`drop database if exists ${name} with (force)`);
    });
    return dropped;
  };
  const connect = async () => {
    const client = new pg.Client(localConfig(name));
    await client.connect();
    return client;
  };
  return {
    name,
    url: `postgres://${LOCAL_POSTGRES.user}@${LOCAL_POSTGRES.host}:${LOCAL_POSTGRES.port}/${name}`,
    connect,
    async exec(sql) {
      const client = await connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    drop,
    [Symbol.asyncDispose]: drop,
  };
}

/**
 * Resolves once a statement whose text starts with `prefix` is running in `database`, as seen
 * directly in pg_stat_activity (e.g. to cancel it mid-flight). Rejects after `timeoutMs`.
 */
export async function waitForActiveQuery(
  database: string,
  prefix: string,
  timeoutMs = 5000,
): Promise<void> {
  await onAdmin(async (admin) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await admin.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
          where datname = $1 and state = 'active' and starts_with(query, $2)`,
        [database, prefix],
      );
      if (rows[0]!.n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no active "${prefix}…" in ${database} after ${timeoutMs} ms`);
  });
}
