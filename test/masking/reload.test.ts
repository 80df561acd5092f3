import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/connectors/registry.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

const ready = await requirePostgres();

/**
 * Masking rules follow a config reload (or a central policy version): sessions opened afterwards
 * use the new rules, and a live session whose connector's masking changed ends at its next
 * command instead of going on under the old rules.
 */
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

  it('ends a live session at its next command when its masking changed, and only then', async () => {
    const client = new pg.Client(await gw.clientConfig('dev-2', { groups: ['dev'] }));
    client.on('error', () => {});
    await client.connect();
    try {
      expect((await client.query('select email from users')).rows[0].email).toBe('ann@example.com');
      // A reload that leaves masking as it was changes nothing for the session.
      gw.gateway.reload(withMasking([]));
      expect((await client.query('select 1 as one')).rows[0].one).toBe(1);

      gw.gateway.reload(withMasking([{ columns: ['users.email'], strategy: 'redact' }]));
      const error = (await client
        .query('select email from users')
        .catch((err: pg.DatabaseError) => err)) as pg.DatabaseError;
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe('28000');
      expect(error.message).toMatch(/masking rules of connector "pg" changed; this session ended/);
    } finally {
      await client.end().catch(() => undefined);
      gw.gateway.reload(withMasking([]));
    }
    expect(await emailSeen()).toBe('ann@example.com');
  });
});
