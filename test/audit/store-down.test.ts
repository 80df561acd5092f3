import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/read/chain-verify.js';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import { SQLSTATE_BY_CODE } from '../../src/connectors/postgres/protocol/errors.js';
import { openStore } from '../../src/store/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  createDatabase,
  type DedicatedPostgres,
  requireDedicatedPostgres,
  startDedicatedPostgres,
  type TestDatabase,
} from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

const ready = (await requirePostgres()) && requireDedicatedPostgres();
const STORE_DOWN = SQLSTATE_BY_CODE.store_unavailable;

/**
 * Strict durability, end to end: the gateway's store is a PostgreSQL server of the test's own,
 * stopped (pg_ctl stop -m immediate) while a client is connected. Commands are refused with a
 * protocol-native error and never reach the target; once the server is back, service resumes
 * with no restart, and everything that ran is in an intact chain.
 */
describe.skipIf(!ready)('strict durability when the store PostgreSQL stops', () => {
  let storeServer: DedicatedPostgres;
  let target: TestDatabase;
  let gw: TestGateway;
  const storeUrl = () => storeServer.url('gatehouse_store');
  const targetIds = async () => {
    const direct = await target.connect();
    try {
      return (await direct.query('select id from t order by id')).rows.map((r) => r.id);
    } finally {
      await direct.end();
    }
  };

  const untilRecorded = async (kind: string, count: number) => {
    const direct = new pg.Client({ connectionString: storeUrl() });
    await direct.connect();
    try {
      for (let i = 0; i < 200; i++) {
        const { rows } = await direct.query(
          'select count(*)::int as n from audit_events where kind = $1',
          [kind],
        );
        if (rows[0].n >= count) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no ${kind} record committed`);
    } finally {
      await direct.end();
    }
  };

  beforeAll(async () => {
    storeServer = await startDedicatedPostgres();
    await storeServer.createDatabase('gatehouse_store');
    target = await createDatabase('gh_audit_target');
    await target.exec('create table t (id int)');
    gw = await startTestGateway({
      database: target.name,
      store: storeUrl(),
      configure: (config) => {
        config['audit'] = { readers: ['auditors'] };
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await target?.drop();
    await storeServer?.destroy();
  });

  it('refuses commands while the store is down, runs none of them, and resumes by itself', async () => {
    const client = new pg.Client(await gw.clientConfig('alice', { groups: ['dev'] }));
    await client.connect();
    try {
      await client.query('insert into t values (1)');
      // Its outcome is committed too: the sink is idle and healthy when the store goes away, so
      // what follows is strict durability at work, not a queue that already saw a failure.
      await untilRecorded('outcome', 1);

      await storeServer.stop();
      const refused = await client.query('insert into t values (2)').catch((err: unknown) => err);
      expect(refused).toMatchObject({ code: STORE_DOWN });
      expect(String((refused as Error).message)).toMatch(/audit store/);
      const another = await client.query('select 1').catch((err: unknown) => err);
      expect(another).toMatchObject({ code: STORE_DOWN });
      // A new session cannot be recorded either, so it is not admitted.
      const newcomer = new pg.Client(await gw.clientConfig('bob', { groups: ['dev'] }));
      const admitted = await newcomer.connect().catch((err: unknown) => err);
      expect(admitted).toMatchObject({ code: STORE_DOWN });
      await newcomer.end().catch(() => undefined);
      const ready = await fetch(`${gw.gateway.apiUrl}/readyz`);
      expect(ready.status).toBe(503);
      // Readers of the record learn the store is down, not that something broke.
      const auditor = {
        authorization: `Bearer ${await gw.token('eve', { groups: ['auditors'] })}`,
      };
      for (const path of ['/api/sessions', '/api/audit/verify', '/api/audit/export']) {
        const answer = await fetch(`${gw.gateway.apiUrl}${path}`, { headers: auditor });
        expect(answer.status, path).toBe(503);
        expect(await answer.json()).toMatchObject({ error: 'store_unavailable' });
      }
      expect(await targetIds()).toEqual([1]);

      await storeServer.start();
      const deadline = Date.now() + 20_000;
      let attempts = 0;
      for (;;) {
        attempts++;
        const result = await client.query('insert into t values (3)').catch((err: unknown) => err);
        if (!(result instanceof Error)) break;
        expect(result).toMatchObject({ code: STORE_DOWN });
        if (Date.now() > deadline) throw new Error(`still refused after ${attempts} attempts`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await targetIds()).toEqual([1, 3]);
      expect((await fetch(`${gw.gateway.apiUrl}/readyz`)).status).toBe(200);
    } finally {
      await client.end();
    }

    // Everything that reached the target is recorded, in an intact chain; the refused never ran.
    await gw.close();
    const store = await openStore(storeUrl());
    try {
      expect(await verifyChain(store.db)).toMatchObject({ ok: true });
      const [session] = await listSessions(store, { subject: 'alice' });
      const recorded = (await getSession(store, session!.id))!.commands;
      const executed = recorded.filter((c) => c.executedText !== undefined).map((c) => c.text);
      expect(executed).toEqual(['insert into t values (1)', 'insert into t values (3)']);
      expect(recorded.find((c) => c.text === 'insert into t values (1)')?.outcome?.tag).toBe(
        'INSERT 0 1',
      );
      expect(await listSessions(store, { subject: 'bob' })).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
