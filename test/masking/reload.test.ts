import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/connectors/registry.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

const ready = await requirePostgres();

/** Masking rules follow a config reload: sessions opened afterwards use the new rules. */
describe.skipIf(!ready)('masking on reload', () => {
  let target: TestDatabase;
  let gw: TestGateway;

  beforeAll(async () => {
    target = await createDatabase('gh_masking_reload');
    await target.exec(`create table users (id int, email text);
      insert into users values (1, 'ann@example.com')`);
    gw = await startTestGateway({ database: target.name });
  });
  afterAll(async () => {
    await gw?.close();
    await target?.drop();
  });

  async function emailSeen(): Promise<string> {
    const client = new pg.Client(await gw.clientConfig('dev-1', { groups: ['dev'] }));
    await client.connect();
    try {
      return (await client.query('select email from users')).rows[0].email;
    } finally {
      await client.end();
    }
  }

  function withMasking(rules: unknown[], hashKey?: string) {
    const raw = parse(gw.configText) as Record<string, unknown>;
    const [connector] = raw['connectors'] as Array<Record<string, unknown>>;
    connector!['masking'] = rules;
    if (hashKey) raw['masking'] = { hash_key: { env: hashKey } };
    return parseConfig(stringify(raw), gw.configFile);
  }

  it('applies rules added by a reload, and keeps the running ones when the new ones are invalid', async () => {
    expect(await emailSeen()).toBe('ann@example.com');
    gw.gateway.reload(withMasking([{ columns: ['users.email'], strategy: 'redact' }]));
    expect(await emailSeen()).toBe('[redacted]');
    // `hash` without a key does not compile: the reload fails and the redact rule stays.
    expect(() =>
      gw.gateway.reload(withMasking([{ columns: ['users.email'], strategy: 'hash' }])),
    ).toThrow(/hash_key/);
    expect(await emailSeen()).toBe('[redacted]');
    gw.gateway.reload(withMasking([]));
    expect(await emailSeen()).toBe('ann@example.com');
  });
});
