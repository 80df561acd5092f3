/** Session lifecycle: disconnects on either side, shutdown, and the response transform seam. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendCode } from '../../src/connectors/postgres/protocol/message-codes.js';
import { message } from '../../src/connectors/postgres/protocol/writer.js';
import type { CommandRecord } from '../../src/core/audit-sink.js';
import { cancelWithPg } from '../helpers/pg-cancel.js';
import {
  MemoryAuditSink,
  startTestConnector,
  type TestConnector,
} from '../helpers/pg-connector.js';
import { onAdmin, waitForActiveQuery } from '../helpers/pg-db.js';
import { password, query, startup, WireClient } from './wire.js';

let gw: TestConnector;
beforeAll(async () => {
  gw = await startTestConnector();
});
afterAll(() => gw?.stop());

async function admin<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  return onAdmin(async (c) => (await c.query(sql, values)).rows as T[]);
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const backendAlive = async (pid: number) =>
  (
    await admin<{ n: number }>('select count(*)::int n from pg_stat_activity where pid = $1', [pid])
  )[0]!.n > 0;

describe('session end', () => {
  it('closes the target session and records the end when the client vanishes', async () => {
    const wire = await WireClient.open(gw.host, gw.port);
    await wire.login(await gw.token({ sub: 'vanishing' }));
    wire.send(query('select pg_backend_pid()'));
    const answer = await wire.untilReady();
    const pid = Number(answer[1]!.body.subarray(6).toString());
    expect(await backendAlive(pid)).toBe(true);
    wire.close();
    await until(async () => !(await backendAlive(pid)), 'the target backend to end');
    const session = gw.audit.sessions.find((s) => s.identity.subject === 'vanishing')!;
    await until(
      () => gw.audit.ended.some((e) => e.sessionId === session.id),
      'the session record to end',
    );
    expect(gw.audit.ended.find((e) => e.sessionId === session.id)?.reason).toBe(
      'client disconnected',
    );
  });

  it('leaves no target session behind when the client leaves during setup', async () => {
    const app = `gh-leaving-${Date.now()}`;
    const token = await gw.token({ sub: 'leaving' });
    for (let i = 0; i < 5; i++) {
      const wire = await WireClient.open(gw.host, gw.port);
      wire.send(startup({ user: 'x', application_name: app }));
      await wire.message();
      wire.send(password(token));
      wire.close();
    }
    const count = async () =>
      (
        await admin<{ n: number }>(
          'select count(*)::int n from pg_stat_activity where application_name = $1',
          [app],
        )
      )[0]!.n;
    await until(
      async () => (await count()) === 0 && gw.connector.sessionCount() === 0,
      'setups to unwind',
    );
    const opened = gw.audit.sessions.filter((s) => s.identity.subject === 'leaving');
    await until(
      () => opened.every((s) => gw.audit.ended.some((e) => e.sessionId === s.id)),
      'records to end',
    );
  });

  it('records a clean Terminate as such', async () => {
    const client = new pg.Client(gw.pgConfig(await gw.token({ sub: 'polite' })));
    await client.connect();
    await client.end();
    const session = gw.audit.sessions.find((s) => s.identity.subject === 'polite')!;
    await until(
      () => gw.audit.ended.some((e) => e.sessionId === session.id),
      'the session record to end',
    );
    expect(gw.audit.ended.find((e) => e.sessionId === session.id)?.reason).toBe(
      'client terminated',
    );
  });

  it('relays the target ending the session (pg_terminate_backend) as a FATAL error', async () => {
    const client = new pg.Client(gw.pgConfig(await gw.token({ sub: 'terminated' })));
    const errors: pg.DatabaseError[] = [];
    client.on('error', (e) => errors.push(e as pg.DatabaseError));
    await client.connect();
    const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
    await admin('select pg_terminate_backend($1)', [pid]);
    await until(() => errors.length > 0, 'the client to see the error');
    expect(errors[0]).toMatchObject({ code: '57P01', severity: 'FATAL' });
    const session = gw.audit.sessions.find((s) => s.identity.subject === 'terminated')!;
    await until(
      () => gw.audit.ended.some((e) => e.sessionId === session.id),
      'the session record to end',
    );
    expect(gw.audit.ended.find((e) => e.sessionId === session.id)?.reason).toBe(
      'target disconnected',
    );
  });

  it('drains and then ends open sessions on stop with 57P01', async () => {
    const own = await startTestConnector();
    const client = new pg.Client(own.pgConfig(await own.token()));
    const errors: pg.DatabaseError[] = [];
    client.on('error', (e) => errors.push(e as pg.DatabaseError));
    await client.connect();
    expect(own.connector.sessionCount()).toBe(1);
    await own.stop();
    expect(own.connector.sessionCount()).toBe(0);
    await until(() => errors.length > 0, 'the client to see the shutdown');
    expect(errors[0]).toMatchObject({ code: '57P01' });
  });
});

describe('decisions that arrive after the session ended', () => {
  it('are not forwarded, and are recorded as not executed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    class SlowAudit extends MemoryAuditSink {
      override async commandDecided(record: CommandRecord): Promise<void> {
        await super.commandDecided(record);
        if (record.command.text.includes('gh_late')) await gate;
      }
    }
    await using own = await startTestConnector({ audit: new SlowAudit() });
    const wire = await WireClient.open(own.host, own.port);
    await wire.login(await own.token());
    wire.send(query("select pg_notify('gh_late', 'ran')"));
    await until(
      () => own.audit.commands.some((r) => r.command.text.includes('gh_late')),
      'the decision',
    );
    wire.close();
    await until(() => own.connector.sessionCount() === 0, 'the session to end');
    release();
    await until(() => own.audit.outcomes.length > 0, 'the outcome');
    expect(own.audit.outcomes[0]!.outcome.error?.message).toMatch(/not executed/);
  });
});

describe('driver features', () => {
  it('reuses pg named prepared statements and cancels with pg’s own cancel', async () => {
    const config = gw.pgConfig(await gw.token());
    const client = new pg.Client(config);
    await client.connect();
    for (let i = 0; i < 3; i++) {
      const { rows } = await client.query({
        name: 'twice',
        text: 'select $1::int * 2 as v',
        values: [i],
      });
      expect(rows[0].v).toBe(i * 2);
    }
    const sleeping = new pg.Query('select pg_sleep(10)');
    const done = new Promise<unknown>((resolve) => {
      sleeping.on('error', resolve);
      sleeping.on('end', () => resolve(undefined));
    });
    client.query(sleeping);
    await waitForActiveQuery('postgres', 'select pg_sleep(10)');
    cancelWithPg(config, client, sleeping);
    expect(await done).toMatchObject({ code: '57014' });
    await client.end();
  });
});

describe('response transform seam', () => {
  it('lets a per-session transform rewrite data rows before the client sees them', async () => {
    const masked = message(BackendCode.DataRow, [
      { int16: 1 },
      { int32: 6 },
      { bytes: Buffer.from('MASKED') },
    ]);
    await using own = await startTestConnector({
      connectorOptions: {
        responseTransform: () => (type, frame) => (type === 0x44 ? masked : frame),
      },
    });
    const client = new pg.Client(own.pgConfig(await own.token()));
    await client.connect();
    const { rows } = await client.query(
      "select 'secret@example.com' as email from generate_series(1, 3)",
    );
    expect(rows).toEqual([{ email: 'MASKED' }, { email: 'MASKED' }, { email: 'MASKED' }]);
    await client.end();
  });
});
