import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import type { SessionWithCommands } from '../../src/audit/record/records.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { type LibpqTarget, psql } from '../helpers/psql.js';
import { LOCAL_POSTGRES, requireCommands, requirePostgres } from '../helpers/services.js';

const ready = (await requirePostgres()) && requireCommands(['psql']);

/** Ruled values: none may reach the client or the audit store. */
const RAW = [
  'ann@example.com',
  'bob,"q"@example.org',
  '123-45-6789',
  '234-56-7890',
  'vip@example.com',
  'crm-secret-1',
];

/**
 * COPY … TO STDOUT under column rules, through a real gateway with real psql: the gateway asks
 * the target which columns the COPY sends and masks them per field; everything else is as a
 * direct connection shows it.
 */
describe.skipIf(!ready)('COPY TO STDOUT with column rules', () => {
  let target: TestDatabase;
  let gw: TestGateway;

  beforeAll(async () => {
    target = await createDatabase('gh_masking_copy');
    await target.exec(`
      create table customers (id int, email text, ssn text, note text, city text,
        gen int generated always as (id * 2) stored);
      insert into customers (id, email, ssn, note, city) values
        (1, 'ann@example.com', '123-45-6789', E'tab\\there, nl\\nthere, back\\\\slash', 'über ✓'),
        (2, null, '234-56-7890', 'ssn 345-67-8901 on file', null),
        (3, 'bob,"q"@example.org', null, '', 'x,"y"');
      create table "VipCustomers" ("Email" text, id int);
      insert into "VipCustomers" values ('vip@example.com', 7);
      create schema crm;
      create table crm.customers (ssn text, note text, id int, extra text);
      insert into crm.customers values ('crm-secret-1', 'crm note', 9, null);
      create schema ledger;
      create table ledger.accounts (owner text, email text);
      insert into ledger.accounts values ('Ann', 'ann@example.com');`);
    gw = await startTestGateway({
      database: target.name,
      configure: (config) => {
        const [connector] = config['connectors'] as Array<Record<string, unknown>>;
        connector!['masking'] = [
          {
            columns: ['public.customers.email', 'VipCustomers.Email', 'accounts.email'],
            strategy: 'redact',
          },
          { columns: ['customers.ssn'], strategy: 'keep_last_4' },
          { detectors: ['us_ssn'], strategy: 'redact' },
        ];
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await target?.drop();
  });

  const viaGateway = async (subject: string): Promise<LibpqTarget> => ({
    host: gw.host,
    port: gw.port,
    user: subject,
    database: target.name,
    password: await gw.token(subject, { groups: ['dev'] }),
  });
  const direct = (): LibpqTarget => ({
    host: LOCAL_POSTGRES.host!,
    port: LOCAL_POSTGRES.port!,
    user: LOCAL_POSTGRES.user!,
    database: target.name,
  });

  async function both(script: string) {
    const [masked, clear] = await Promise.all([
      psql(await viaGateway('copier'), script),
      psql(direct(), script),
    ]);
    expect(masked.stderr).toBe('');
    expect(clear.stderr).toBe('');
    return { masked: masked.stdout, clear: clear.stdout };
  }

  function expectNoRaw(text: string, what: string) {
    for (const value of RAW) expect(text, `${what} leaked ${value}`).not.toContain(value);
  }

  /** Text-format lines split into fields (escaped tabs and newlines stay escaped). */
  const fields = (output: string) =>
    output
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\t'));

  it('masks the ruled columns of text COPY and \\copy; the rest is byte-identical', async () => {
    for (const command of [
      'COPY customers TO STDOUT;',
      '\\copy customers to stdout',
      'copy public.customers to stdout with (format text);',
    ]) {
      const { masked, clear } = await both(`${command}\n`);
      expectNoRaw(masked, command);
      const got = fields(masked);
      const want = fields(clear);
      expect(got.length, command).toBe(3);
      for (let row = 0; row < 3; row++) {
        // id, note and city unruled: byte for byte (the detector only touches row 2's note).
        expect(got[row]![0]).toBe(want[row]![0]);
        if (row !== 1) expect(got[row]![3]).toBe(want[row]![3]);
        expect(got[row]![4]).toBe(want[row]![4]);
        expect(got[row]!.length).toBe(5);
      }
      expect(got.map((f) => f[1])).toEqual(['[redacted]', '\\N', '[redacted]']);
      expect(got.map((f) => f[2])).toEqual(['***-**-6789', '***-**-7890', '\\N']);
      expect(got[1]![3]).toBe('ssn [redacted:us_ssn] on file');
      expect(got[0]![3]).toBe('tab\\there, nl\\nthere, back\\\\slash');
      expect(got[1]![4]).toBe('\\N');
    }
  });

  it('masks CSV with HEADER and a column list in another order', async () => {
    const script =
      'COPY customers (city, ssn, id, email) TO STDOUT WITH (FORMAT csv, HEADER);\n' +
      '\\copy customers (email, note) to stdout csv header\n';
    const { masked, clear } = await both(script);
    expectNoRaw(masked, 'csv');
    expect(clear).toContain('"bob,""q""@example.org"');
    expect(masked).toBe(
      [
        'city,ssn,id,email',
        'über ✓,***-**-6789,1,[redacted]',
        ',***-**-7890,2,',
        '"x,""y""",,3,[redacted]',
        'email,note',
        `[redacted],"tab\there, nl\nthere, back\\slash"`,
        ',ssn [redacted:us_ssn] on file',
        '[redacted],""',
        '',
      ].join('\n'),
    );
  });

  it('honours custom DELIMITER, NULL and QUOTE options', async () => {
    const { masked } = await both(
      `COPY customers (email, city) TO STDOUT (FORMAT csv, DELIMITER ';', NULL 'NIL', QUOTE '''', FORCE_QUOTE (email));\n` +
        `COPY customers (id, email) TO STDOUT (DELIMITER '|', NULL '-');\n`,
    );
    expectNoRaw(masked, 'custom options');
    expect(masked).toBe(
      [
        "'[redacted]';über ✓",
        'NIL;NIL',
        `'[redacted]';x,"y"`,
        '1|[redacted]',
        '2|-',
        '3|[redacted]',
        '',
      ].join('\n'),
    );
  });

  it('resolves quoted mixed-case names, search_path and temporary tables as the session does', async () => {
    const script = [
      'COPY "VipCustomers" TO STDOUT;',
      // crm.customers puts ssn first: taking public.customers' columns would leak it.
      'SET search_path = crm, public;',
      'COPY customers TO STDOUT;',
      'SET search_path = ledger;',
      'COPY accounts TO STDOUT;',
      'RESET search_path;',
      // A temporary table shadows public.customers (whose columns would not fit).
      'CREATE TEMP TABLE customers (id int, ssn text);',
      'INSERT INTO customers SELECT id, ssn FROM crm.customers;',
      'COPY customers TO STDOUT;',
      '',
    ].join('\n');
    const result = await psql(await viaGateway('paths'), script);
    expectNoRaw(result.stdout, 'search_path');
    const lines = result.stdout.split('\n').filter((line) => /\t/.test(line));
    expect(lines).toEqual([
      '[redacted]\t7',
      '***-***ret-1\tcrm note\t9\t\\N',
      'Ann\t[redacted]',
      '9\t***-***ret-1',
    ]);
  });

  it('still redacts COPY (query), binary and a COPY after the first statement whole', async () => {
    const result = await psql(
      await viaGateway('whole'),
      [
        'COPY (SELECT id, city FROM customers ORDER BY id) TO STDOUT;',
        'SELECT 1 \\; COPY customers (id, city) TO STDOUT;',
        'COPY customers (id, city) TO STDOUT (FORMAT binary);',
        '',
      ].join('\n'),
    );
    expect(result.stderr).toBe('');
    const whole = '[redacted]\t[redacted]\n[redacted]\t\\N\n[redacted]\t[redacted]\n';
    expect(result.stdout.split(whole).length).toBe(3);
    expect(result.stdout).toContain('[redacted]');
    expect(result.stdout).not.toContain('über');
    expect(result.stdout).not.toContain('PGCOPY');
  });

  it('records no ruled value in the audit store', async () => {
    await both('COPY customers TO STDOUT CSV HEADER;\n');
    let copies = 0;
    for (const subject of ['copier', 'paths', 'whole']) {
      for (const session of await listSessions(gw.gateway.store, { subject })) {
        const stored = (await getSession(gw.gateway.store, session.id)) as SessionWithCommands;
        expectNoRaw(JSON.stringify(stored), `audit of ${subject}`);
        copies += stored.commands.filter((c) => /copy/i.test(c.text)).length;
      }
    }
    // Every COPY was recorded (the gateway's own resolving queries are not).
    expect(copies).toBe(3 + 2 + 2 + 4 + 3 + 1);
  });
});
