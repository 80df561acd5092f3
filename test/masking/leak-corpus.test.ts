import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import type { SessionWithCommands } from '../../src/audit/record/records.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { psql } from '../helpers/psql.js';
import { requireCommands, requirePostgres } from '../helpers/services.js';

const ready = (await requirePostgres()) && requireCommands(['psql']);

/** Every sensitive value in the table; none may reach a masked client or the audit log. */
const RAW = [
  'ann@example.com',
  'bob.smith@corp.example.org',
  '123-45-6789',
  '234-56-7890',
  '4111 1111 1111 1111',
  '5555555555554444',
  'GB82WEST12345698765432',
  'DE89370400440532013000',
];
/** Parts that identify a value even when reformatted (lower(), JSON, COPY escapes). */
const FRAGMENTS = [
  'ann@',
  'bob.smith',
  '45-6789',
  '56-7890',
  '1111 1111',
  '55554444',
  'WEST1234',
  '37040044',
];

function expectNoRaw(output: string, what: string): void {
  for (const value of [...RAW, ...FRAGMENTS]) {
    expect(output.toLowerCase(), `${what} leaked ${value}`).not.toContain(value.toLowerCase());
  }
}

const EXEMPT = ['compliance'];

/**
 * The leak corpus (docs/masking.md): a users table with emails, SSNs, cards and IBANs read every
 * way a client can through a real gateway, with column rules (by table OID and column number) and
 * detectors; plus the audit log and an exempt group.
 */
describe.skipIf(!ready)('masking through the gateway', () => {
  let target: TestDatabase;
  let gw: TestGateway;

  beforeAll(async () => {
    target = await createDatabase('gh_masking');
    await target.exec(`create table users (id int primary key, email text unique, ssn text,
        card text, iban text, age int);
      insert into users values
        (1, 'ann@example.com', '123-45-6789', '4111 1111 1111 1111', 'GB82WEST12345698765432', 41),
        (2, 'bob.smith@corp.example.org', '234-56-7890', '5555555555554444', 'DE89370400440532013000', 37);`);
    gw = await startTestGateway({
      database: target.name,
      configure: (config) => {
        const [connector] = config['connectors'] as Array<Record<string, unknown>>;
        connector!['masking'] = [
          {
            columns: ['users.email', 'public.users.ssn'],
            strategy: 'redact',
            exempt_groups: EXEMPT,
          },
          { columns: ['users.card'], strategy: 'keep_last_4', exempt_groups: EXEMPT },
          { columns: ['users.age'], strategy: 'null', exempt_groups: EXEMPT },
          {
            detectors: ['email', 'us_ssn', 'payment_card', 'iban'],
            strategy: 'redact',
            exempt_groups: EXEMPT,
          },
        ];
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await target?.drop();
  });

  const libpq = async (subject: string, groups: string[] = ['dev']) => ({
    host: gw.host,
    port: gw.port,
    user: subject,
    database: target.name,
    password: await gw.token(subject, { groups }),
  });

  async function withClient<T>(
    subject: string,
    groups: string[],
    work: (c: pg.Client) => Promise<T>,
  ) {
    const client = new pg.Client(await gw.clientConfig(subject, { groups }));
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  it('masks every psql read of the values: columns, aliases, expressions, JSON, aggregates, COPY', async () => {
    const cases = [
      'select * from users order by id',
      'select email as x, u.ssn as y from users u order by id',
      'select lower(email) from users',
      'select row_to_json(u) from users u',
      `select string_agg(email, ',') from users`,
      `select 'mail:' || email, 'card ' || card, iban from users`,
      'copy (select * from users order by id) to stdout',
      'copy users to stdout with (format csv)',
      `insert into users (id, email) values (3, (select email from users where id = 1))`,
      `select 1/0 where (select email from users where id = 2) is not null`,
      `do $$ begin raise notice 'found %', (select ssn from users where id = 1); end $$`,
      `select (select card from users where id = 1)::int`,
    ];
    const result = await psql(await libpq('masked'), `${cases.join(';\n')};\n`);
    const output = `${result.stdout}\n${result.stderr}`;
    expectNoRaw(output, 'psql');
    // The masking did run (and the commands did): redacted cells, kept last digits, NULL ages.
    expect(result.stdout).toContain(
      '1|[redacted]|[redacted]|**** **** **** 1111|[redacted:iban]|<NULL>',
    );
    // Expressions over masked columns are masked by lineage: redacted whole (lineage-corpus).
    expect(result.stdout).toContain('string_agg\n[redacted]\n');
    expect(result.stdout).toContain('[redacted]|[redacted]|[redacted:iban]');
    // JSON of a whole row: per key, each column by its own rule.
    expect(result.stdout).toContain(
      '{"id":1,"email":"[redacted]","ssn":"[redacted]","card":"**** **** **** 1111","iban":"[redacted:iban]","age":null}',
    );
    expect(result.stderr).toContain('duplicate key value violates unique constraint');
    expect(result.stderr).toMatch(/Key \(email\)=\(\[redacted\]\) already exists/);
    expect(result.stderr).toContain('NOTICE:  00000: found [redacted:us_ssn]');
    expect(result.stderr).toContain('[redacted:payment_card]');
    // COPY of a query cannot tell columns apart while column rules apply: every field is
    // redacted; COPY of a table is masked per column.
    expect(result.stdout).toContain('[redacted]\t[redacted]\t[redacted]');
    expect(result.stdout).toContain(
      '1,[redacted],[redacted],**** **** **** 1111,[redacted:iban],\n',
    );
  });

  it('masks the extended protocol in text and binary result formats', async () => {
    await withClient('ext', ['dev'], async (client) => {
      const sql =
        'select id, email, ssn, card, iban, age, lower(email) as l from users where id = $1';
      const text = await client.query({ text: sql, values: [1] });
      // `binary` is a pg option its type definitions leave out.
      const binaryQuery = { text: sql, values: [1], binary: true } as pg.QueryConfig;
      const binary = await client.query(binaryQuery);
      for (const [name, res] of [
        ['text', text],
        ['binary', binary],
      ] as const) {
        expectNoRaw(JSON.stringify(res.rows), name);
        expect(res.rows[0], name).toMatchObject({
          id: 1,
          email: '[redacted]',
          ssn: '[redacted]',
          card: '**** **** **** 1111',
          iban: '[redacted:iban]',
          age: null,
          l: '[redacted]', // lower(email): computed from a masked column
        });
        // Masked columns are declared text so clients do not parse "[redacted]" as their type.
        const email = res.fields.find((f) => f.name === 'email')!;
        expect(email.dataTypeID).toBe(25);
        expect(res.fields.map((f) => f.format)).toEqual(Array(7).fill(name));
      }
    });
  });

  it('masks NOTIFY payloads (redacted whole while column rules apply)', async () => {
    await withClient('listener', ['dev'], async (client) => {
      const payloads: string[] = [];
      client.on('notification', (n) => payloads.push(n.payload ?? ''));
      await client.query('listen leak');
      await client.query(`select pg_notify('leak', email) from users`);
      for (let i = 0; i < 50 && payloads.length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(payloads).toEqual(['[redacted]', '[redacted]']);
    });
  });

  it('keeps raw values out of the audit log: command text, parameters, error messages', async () => {
    await withClient('audited', ['dev'], async (client) => {
      await client.query(`select id from users where email = 'bob.smith@corp.example.org'`);
      await client.query('select id from users where ssn = $1', ['123-45-6789']);
      await expect(client.query(`select 'ann@example.com'::int`)).rejects.toThrow(/invalid input/);
    });
    const [session] = await listSessions(gw.gateway.store, { subject: 'audited' });
    const stored = (await getSession(gw.gateway.store, session!.id)) as SessionWithCommands;
    const recorded = JSON.stringify(stored);
    expectNoRaw(recorded, 'audit record');
    const texts = stored.commands.map((c) => c.text);
    expect(texts).toContain(`select id from users where email = '[redacted:email]'`);
    expect(stored.commands.flatMap((c) => c.params ?? [])).toContain('[redacted:us_ssn]');
    expect(stored.target?.['masking_exempt']).toBeUndefined();
  });

  it('shows an exempt group the raw values and records the exemption', async () => {
    const rows = await withClient('auditor', EXEMPT, async (client) => {
      return (await client.query('select email, ssn, card, age from users order by id')).rows;
    });
    expect(rows[0]).toEqual({
      email: 'ann@example.com',
      ssn: '123-45-6789',
      card: '4111 1111 1111 1111',
      age: 41,
    });
    const [session] = await listSessions(gw.gateway.store, { subject: 'auditor' });
    expect(session!.target?.['masking_exempt']).toContain('masking[0]');
    expect(session!.target?.['masking_exempt']).toContain('masking[3]');
  });

  it('leaves system catalogs and unmasked columns readable (psql \\d works)', async () => {
    const result = await psql(
      await libpq('browser'),
      '\\d users\nselect id from users order by id;\n',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/email\|text/);
    expect(result.stdout).toContain('id\n1\n2\n(2 rows)');
  });

  it('fails closed on a table the catalog did not know, then resolves it', async () => {
    await withClient('newtable', ['dev'], async (client) => {
      await client.query('create table extra (id int, label text)');
      await client.query(`insert into extra values (7, 'plain')`);
      const first = await client.query('select id::text as id, label from extra');
      // Computed columns over a table the catalog does not know yet are redacted too (lineage).
      expect(first.rows[0]).toEqual({ id: '[redacted]', label: '[redacted]' });
      let last = first.rows[0];
      for (let i = 0; i < 50 && last.label !== 'plain'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = (await client.query('select id, label from extra')).rows[0];
      }
      expect(last).toEqual({ id: 7, label: 'plain' });
    });
  });
});
