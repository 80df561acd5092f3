import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createDatabase } from '../helpers/pg-db.js';

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
  const copy = await createDatabase('gatehouse_copy', { template: new URL(url).pathname.slice(1) });
  return { url: copy.url, drop: () => copy.drop() };
}
