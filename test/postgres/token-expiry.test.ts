/**
 * `access.end_session_at_token_expiry`: the gate's timer (src/core/gate.ts) ends the session at
 * the token's `exp`; the PostgreSQL connector renders it as FATAL, the target rolls back the open
 * transaction, and the end is recorded with its reason.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';

let db: TestDatabase;
let on: TestConnector;
let off: TestConnector;

const target = () => ({
  host: '127.0.0.1',
  port: 5432,
  user: 'postgres',
  database: db.name,
  tls: 'disable' as const,
});

beforeAll(async () => {
  db = await createDatabase('gh_expiry');
  await db.exec('create table ledger (id int)');
  on = await startTestConnector({
    connector: { target: target(), access: { groups: ['*'], end_session_at_token_expiry: true } },
  });
  off = await startTestConnector({ connector: { target: target() } });
});
afterAll(async () => {
  await on?.stop();
  await off?.stop();
  await db?.drop();
});

const rows = async () => {
  const c = await db.connect();
  try {
    return (await c.query('select count(*)::int as n from ledger')).rows[0].n as number;
  } finally {
    await c.end();
  }
};

describe('end_session_at_token_expiry', () => {
  it('ends the session at exp with FATAL, rolling back the open transaction', async () => {
    const token = await on.token({ sub: 'erin', expiresIn: '2s' });
    const client = new pg.Client(on.pgConfig(token));
    const failed = new Promise<Error>((resolve) => client.on('error', resolve));
    await client.connect();
    await client.query('begin');
    await client.query('insert into ledger values (1)');
    const err = (await failed) as pg.DatabaseError;
    expect(err.severity).toBe('FATAL');
    expect(err.code).toBe('28P01');
    expect(err.message).toMatch(/^gatehouse: the access token expired at .*; session ended$/);
    await client.end().catch(() => {});
    await expect.poll(rows).toBe(0);
    const session = on.audit.sessions.find((s) => s.identity.subject === 'erin')!;
    await expect
      .poll(() => on.audit.ended.find((e) => e.sessionId === session.id)?.reason)
      .toMatch(/^the access token expired at/);
  });

  it('cancels a statement still running on the target', async () => {
    const token = await on.token({ sub: 'gus', expiresIn: '2s' });
    const client = new pg.Client(on.pgConfig(token, { application_name: 'gh-expiry-sleep' }));
    client.on('error', () => {});
    await client.connect();
    const started = Date.now();
    const err = (await client.query('select pg_sleep(30)').catch((e) => e)) as Error;
    expect(err.message).toMatch(/access token expired|Connection terminated/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await client.end().catch(() => {});
    const running = async () => {
      const c = await db.connect();
      try {
        return (
          await c.query(
            "select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(30)'",
          )
        ).rows[0].n as number;
      } finally {
        await c.end();
      }
    };
    await expect.poll(running, { timeout: 5_000 }).toBe(0);
  });

  it('is off by default: the session outlives its token', async () => {
    const token = await off.token({ sub: 'fred', expiresIn: '1s' });
    const client = new pg.Client(off.pgConfig(token));
    await client.connect();
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  });
});
