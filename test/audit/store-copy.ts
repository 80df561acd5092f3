import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { POSTGRES_ADMIN_URL } from '../store/backends.js';

/** A copy of a store database, to tamper with while the original stays as it was. */
export interface StoreCopy {
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Copies a store: SQLite with `VACUUM INTO` (a consistent snapshot even while open),
 * PostgreSQL with `CREATE DATABASE … TEMPLATE` (nobody may be connected to the original).
 */
export async function copyStore(url: string): Promise<StoreCopy> {
  if (url.startsWith('sqlite:')) {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-copy-'));
    const path = join(dir, 'copy.db');
    const source = new DatabaseSync(url.slice('sqlite:'.length));
    try {
      source.exec(`VACUUM INTO '${path.replaceAll("'", "''")}'`);
    } finally {
      source.close();
    }
    return {
      url: `sqlite:${path}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const source = new URL(url).pathname.slice(1);
  const name = `gatehouse_copy_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`create database ${name} template ${source}`));
  const copy = new URL(POSTGRES_ADMIN_URL);
  copy.pathname = `/${name}`;
  return {
    url: copy.toString(),
    drop: async () => {
      await admin((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
