import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockChainHead } from '../../src/audit/write/audit-writes.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends, type StoreDatabase } from '../store/backends.js';

const postgres = backends.find((b) => b.name === 'postgres')!;

/**
 * Strict durability on a PostgreSQL store does not depend on the server's defaults: every
 * audit transaction commits with synchronous_commit = on, even where an operator turned it off.
 */
describe.skipIf(postgres.unavailable !== undefined)('audit commits on PostgreSQL', () => {
  let database: StoreDatabase;
  let store: Store;
  beforeAll(async () => {
    database = await postgres.create();
    const name = new URL(database.url).pathname.slice(1);
    store = await openStore(database.url);
    await sql`alter database ${sql.id(name)} set synchronous_commit = off`.execute(store.db);
    await store.close();
    store = await openStore(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('waits for the WAL flush whatever the database default', async () => {
    const outside = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(
      store.db,
    );
    expect(outside.rows[0]?.synchronous_commit).toBe('off');
    const inside = await store.db.transaction().execute(async (trx) => {
      await lockChainHead(trx, 'postgres');
      return sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(trx);
    });
    expect(inside.rows[0]?.synchronous_commit).toBe('on');
  });
});
