import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

const ready = await requirePostgres();

describe.skipIf(!ready)('gateway with a PostgreSQL store (the replica setup)', () => {
  let target: TestDatabase | undefined;
  let storeDb: TestDatabase | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    target = await createDatabase('gh_e2e_target');
    storeDb = await createDatabase('gh_e2e_store');
    gw = await startTestGateway({ database: target.name, store: storeDb.url });
  });
  afterAll(async () => {
    try {
      await gw?.close();
    } finally {
      await Promise.all([storeDb?.drop(), target?.drop()]);
    }
  });

  it('records a session and its commands in the PostgreSQL store', async () => {
    const client = new pg.Client(await gw!.clientConfig('store-tester', { groups: ['ops'] }));
    await client.connect();
    try {
      expect((await client.query(`select 'recorded' as word`)).rows).toEqual([
        { word: 'recorded' },
      ]);
    } finally {
      await client.end();
    }
    expect(gw!.gateway.store.dialect).toBe('postgres');
    const direct = await storeDb!.connect();
    try {
      const tables = await direct.query(
        `select count(*)::int as n from pg_tables where schemaname = 'public'`,
      );
      expect(tables.rows[0].n).toBeGreaterThan(0);
    } finally {
      await direct.end();
    }
    const [session] = await listSessions(gw!.gateway.store, { subject: 'store-tester' });
    expect(session).toMatchObject({
      connector: 'pg',
      identity: { subject: 'store-tester', groups: ['ops'] },
    });
    const stored = await getSession(gw!.gateway.store, session!.id);
    expect(stored?.commands.map((c) => c.text)).toContain(`select 'recorded' as word`);
  });
});
