import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { backendKey, cancelWithPg, sendCancelRequest } from '../helpers/pg-cancel.js';
import { localConfig, waitForActiveQuery } from '../helpers/pg-db.js';
import { PARITY_SUBJECT, useParityTarget } from '../helpers/pg-parity.js';
import { serverMessage, snapshot } from '../helpers/pg-snapshot.js';
import { requirePostgres } from '../helpers/services.js';

const ready = await requirePostgres();
type Via = 'direct' | 'gateway';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(10);
}

describe.skipIf(!ready)('PostgreSQL gateway parity: sessions (LISTEN/NOTIFY, cancel)', () => {
  const target = useParityTarget('gh_parity_session');

  /** Where a client on `via` sends its CancelRequest, and the pg settings for a canceller. */
  async function endpoint(via: Via): Promise<pg.ClientConfig> {
    return via === 'direct' ? localConfig(target.db.name) : target.gw.clientConfig(PARITY_SUBJECT);
  }

  async function notifications(via: Via) {
    const listener = await target.client(via);
    const sender = await target.client(via);
    const received: pg.Notification[] = [];
    listener.on('notification', (n) => received.push(n));
    await listener.query('listen parity_chan');
    await listener.query('listen "Parity Chan 2"');
    const senderPid = (await sender.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    await sender.query(`notify parity_chan, 'payload ü😀'`);
    await sender.query(`select pg_notify('Parity Chan 2', $1)`, ['x'.repeat(7000)]);
    await sender.query(`notify parity_unheard, 'nobody listens'`);
    await sender.query('begin');
    await sender.query(`notify parity_chan, 'in a transaction'`);
    await sleep(200);
    const beforeCommit = received.length;
    await sender.query('commit');
    // The listener is idle: the gateway must relay NotificationResponse without a query in flight.
    await until(() => received.length >= 3, 5000);
    await listener.query('unlisten *');
    return {
      beforeCommit,
      received: received.map((n) => ({
        channel: n.channel,
        payload: n.payload,
        fromSender: n.processId === senderPid,
      })),
    };
  }

  it('delivers LISTEN/NOTIFY between two sessions, only after commit, identically', async () => {
    const direct = await notifications('direct');
    expect(direct).toEqual({
      beforeCommit: 2,
      received: [
        { channel: 'parity_chan', payload: 'payload ü😀', fromSender: true },
        { channel: 'Parity Chan 2', payload: 'x'.repeat(7000), fromSender: true },
        { channel: 'parity_chan', payload: 'in a transaction', fromSender: true },
      ],
    });
    expect(await notifications('gateway')).toEqual(direct);
  });

  async function cancelled(via: Via) {
    const client = await target.client(via);
    const query = new pg.Query('select pg_sleep(10) as slept');
    const finished = new Promise<unknown>((resolve) => {
      query.on('error', resolve);
      query.on('end', () => resolve('not cancelled'));
    });
    client.query(query);
    await waitForActiveQuery(target.db.name, 'select pg_sleep');

    // A CancelRequest with the wrong key must cancel nothing.
    const { host, port } = await endpoint(via);
    const key = backendKey(client);
    await sendCancelRequest(host!, port!, key.processId, (key.secretKey + 1) | 0);
    await sleep(300);
    await waitForActiveQuery(target.db.name, 'select pg_sleep', 100);

    const started = Date.now();
    cancelWithPg(await endpoint(via), client, query);
    const error = await finished;
    const ms = Date.now() - started;
    return {
      error: error instanceof Error ? serverMessage(error) : error,
      ms,
      after: await snapshot(client, 'select 1 as alive'),
    };
  }

  it("cancels a running query with pg's cancel (SQLSTATE 57014) within a second; a wrong key cancels nothing", async () => {
    const direct = await cancelled('direct');
    expect(direct.error).toMatchObject({
      code: '57014',
      message: 'canceling statement due to user request',
    });
    const gateway = await cancelled('gateway');
    expect(gateway.error).toEqual(direct.error);
    expect(gateway.after).toEqual(direct.after);
    expect(gateway.ms).toBeLessThan(1000);
  });

  it('reports a distinct backend key per session, each cancelling only its own query', async () => {
    const a = await target.client('gateway');
    const b = await target.client('gateway');
    expect(backendKey(a)).not.toEqual(backendKey(b));
    const slow = a.query('select pg_sleep(1.5) as slept');
    const other = b.query('select pg_sleep(10)').catch((err: unknown) => err);
    await waitForActiveQuery(target.db.name, 'select pg_sleep(10)');
    const { host, port } = await endpoint('gateway');
    await sendCancelRequest(host!, port!, backendKey(b).processId, backendKey(b).secretKey);
    expect(await other).toMatchObject({ code: '57014' });
    await expect(slow).resolves.toMatchObject({ rows: [{ slept: '' }] });
  });
});
