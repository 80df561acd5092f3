import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';
import { type Receiver, startReceiver } from './receiver.js';

const ready = await requirePostgres();
const SECRET_ENV = `GH_OUTBOX_HOOK_${randomBytes(4).toString('hex')}`;

/**
 * Real gateways on one PostgreSQL store: a notification whose delivery was still in flight
 * when the first gateway stopped is delivered by the next gateway to start on that store.
 */
describe.skipIf(!ready)('notifier deliveries across a gateway restart', () => {
  let target: TestDatabase;
  let store: TestDatabase;
  let receiver: Receiver;
  const gateways: TestGateway[] = [];

  beforeAll(async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    process.env[SECRET_ENV] = secret;
    // The first request hangs until the gateway's shutdown cuts it short; then 200.
    receiver = await startReceiver({ secret, script: ['hang'] });
    target = await createDatabase('gh_outbox_target');
    store = await createDatabase('gh_outbox_store');
    await target.exec('create table orders (id int)');
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await receiver?.close();
    await target?.drop();
    await store?.drop();
    delete process.env[SECRET_ENV];
  });

  const gateway = async () => {
    const gw = await startTestGateway({
      database: target.name,
      store: store.url,
      rules: [
        {
          name: 'agents-delete-with-review',
          when: { statement: ['delete'], agent: true },
          action: 'review',
          review: { approvers: ['dba'], wait: '1s', timeout: '1h' },
        },
      ],
      configure: (config) => {
        config['reviews'] = {
          notifiers: [
            { type: 'webhook', url: `${receiver.url}/hook`, secret: { env: SECRET_ENV } },
          ],
        };
      },
    });
    gateways.push(gw);
    return gw;
  };

  it('sends the pending delivery from the next gateway, with the same webhook-id', async () => {
    const first = await gateway();
    const client = new pg.Client(
      await first.clientConfig('agent-1', { groups: ['agents'], agent: true }),
    );
    await client.connect();
    try {
      await expect(client.query('delete from orders')).rejects.toThrow();
    } finally {
      await client.end();
    }
    for (let i = 0; i < 100 && receiver.requests.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.processed.size).toBe(0);
    await first.close();

    await gateway();
    for (let i = 0; i < 200 && receiver.processed.size === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    const [held, sent] = receiver.requests;
    expect(sent!.headers['webhook-id']).toBe(held!.headers['webhook-id']);
    expect(sent!.body).toBe(held!.body);
    expect(JSON.parse(sent!.body)).toMatchObject({ type: 'ticket.created' });
    expect([...receiver.processed]).toEqual([held!.headers['webhook-id']]);
  });
});
