/**
 * A CancelRequest that lands while the target runs the gateway's own hidden query (the COPY
 * column query under column rules) is held until that query is answered, then sent: it cancels
 * the client's COPY, not the hidden query.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sendCancelRequest } from '../helpers/pg-cancel.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';
import { errorFields, query, types, WireClient } from '../postgres/wire.js';

const ready = await requirePostgres();

describe.skipIf(!ready)('cancel while the gateway’s hidden query runs', () => {
  let target: TestDatabase;
  let gw: TestGateway;

  beforeAll(async () => {
    target = await createDatabase('gh_cancel_hidden');
    await target.exec(`create table customers (id int, email text);
      insert into customers values (1, 'ann@example.com')`);
    gw = await startTestGateway({
      database: target.name,
      configure: (config) => {
        const [connector] = config['connectors'] as Array<Record<string, unknown>>;
        connector!['masking'] = [{ columns: ['customers.email'], strategy: 'redact' }];
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await target?.drop();
  });

  it('cancels the client’s COPY, not the column query before it', async () => {
    const wire = await WireClient.open(gw.host, gw.port);
    const greeting = await wire.login(await gw.token('canceller', { groups: ['dev'] }), {
      database: target.name,
    });
    const key = greeting.find((m) => m.type === 'K')!.body;
    // Warm the session's catalog caches, so only the gateway's column query needs pg_attribute.
    wire.send(query('select count(*) from customers'));
    await wire.untilReady();

    const locker = await target.connect();
    const watcher = await target.connect();
    /** Sessions waiting for a lock while running `pattern`; warmed up before anything is locked. */
    const waiting = async (pattern: string) =>
      (
        await watcher.query(
          "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like $1",
          [pattern],
        )
      ).rows[0].n as number;
    await waiting('%');
    try {
      // The COPY waits for `customers`; the column query for pg_attribute, until the savepoint goes.
      await locker.query('begin');
      await locker.query('lock table customers in access exclusive mode');
      await locker.query('savepoint s');
      await locker.query('lock table pg_catalog.pg_attribute in access exclusive mode');
      wire.send(query('copy customers to stdout'));
      await expect.poll(() => waiting('%to_regclass%'), { timeout: 10_000 }).toBe(1);
      await sendCancelRequest(gw.host, gw.port, key.readInt32BE(0), key.readInt32BE(4));
      await sleep(400);
      // The column query may now finish; the held cancel then reaches the COPY, still waiting.
      await locker.query('rollback to savepoint s');
      const answer = await wire.untilReady(10_000);
      expect(types(answer)).toBe('E Z');
      expect(errorFields(answer[0]!.body)).toMatchObject({
        C: '57014',
        M: 'canceling statement due to user request',
      });
    } finally {
      await locker.query('rollback').catch(() => {});
      await locker.end();
      await watcher.end();
      wire.close();
    }
  });
});
