import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';
import { type Receiver, startReceiver } from '../notifiers/receiver.js';

const ready = await requirePostgres();
const SECRET_ENV = `GH_MASKING_HOOK_${randomBytes(4).toString('hex')}`;

/** Review notifications leave the gateway: the command text they carry is masked. */
describe.skipIf(!ready)('masking of review notifications', () => {
  let target: TestDatabase;
  let gw: TestGateway;
  let receiver: Receiver;

  beforeAll(async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    process.env[SECRET_ENV] = secret;
    receiver = await startReceiver({ secret });
    target = await createDatabase('gh_masking_notify');
    await target.exec(`create table users (id int, email text);
      insert into users values (1, 'ann@example.com')`);
    gw = await startTestGateway({
      database: target.name,
      rules: [
        {
          name: 'agents-delete-with-review',
          when: { statement: ['delete'], agent: true },
          action: 'review',
          review: { approvers: ['dba'], wait: '1s', timeout: '1h' },
        },
      ],
      configure: (config) => {
        const [connector] = config['connectors'] as Array<Record<string, unknown>>;
        connector!['masking'] = [{ detectors: ['email'], strategy: 'redact' }];
        config['reviews'] = {
          notifiers: [
            { type: 'webhook', url: `${receiver.url}/hook`, secret: { env: SECRET_ENV } },
          ],
        };
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await target?.drop();
    await receiver?.close();
    delete process.env[SECRET_ENV];
  });

  it('sends the held command with its values masked', async () => {
    const client = new pg.Client(
      await gw.clientConfig('agent-1', { groups: ['agents'], agent: true }),
    );
    await client.connect();
    try {
      await expect(
        client.query(`delete from users where email = 'ann@example.com'`),
      ).rejects.toThrow();
    } finally {
      await client.end();
    }
    for (let i = 0; i < 100 && receiver.requests.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(receiver.requests.length).toBeGreaterThan(0);
    const body = receiver.requests.map((r) => r.body).join('\n');
    expect(body).toContain(`delete from users where email = '[redacted:email]'`);
    expect(body).not.toContain('ann@example.com');
  });
});
