import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredCommand } from '../../src/audit/record/records.js';
import type { CapturedResult, CapturedTable } from '../../src/core/command.js';
import { completedCommands, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { runProcess } from '../helpers/process.js';
import { libpqArgs, libpqEnv } from '../helpers/psql.js';
import { requirePostgres } from '../helpers/services.js';

const ready = await requirePostgres();

/**
 * The connector records what each command showed the client (`outcome.result`): masked values,
 * within `audit.capture`, over the simple and the extended protocol, text and binary formats.
 */
describe.skipIf(!ready)('postgres result capture', () => {
  let target: TestDatabase;
  let gw: TestGateway;

  beforeAll(async () => {
    target = await createDatabase('gh_capture');
    await target.exec(`create table users (id int, email text, note text);
      insert into users values (1, 'ann@example.com', 'a'), (2, 'bob@example.com', null),
        (3, 'cy@example.com', 'c')`);
    gw = await startTestGateway({
      database: target.name,
      configure: (config) => {
        config['audit'] = { capture: { max_rows: 2, max_bytes: 120 } };
        const [connector] = config['connectors'] as Array<Record<string, unknown>>;
        connector!['masking'] = [{ columns: ['users.email'], strategy: 'redact' }];
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await target?.drop();
  });

  /** Runs `work` in a fresh session, then returns that session's commands once all completed. */
  async function session(
    subject: string,
    work: (client: pg.Client) => Promise<unknown>,
    options: Partial<pg.ClientConfig> & { binary?: boolean } = {},
  ): Promise<StoredCommand[]> {
    const client = new pg.Client({ ...(await gw.clientConfig(subject)), ...options });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
    return completedCommands(gw.gateway, subject);
  }

  it('captures masked values, capped at max_rows (simple and extended protocol)', async () => {
    const shown: unknown[] = [];
    const commands = await session('masked', async (client) => {
      const simple = await client.query({
        text: 'select id, email, note from users order by id',
        rowMode: 'array',
      });
      const extended = await client.query({
        text: 'select id, email, note from users where id > $1 order by id',
        values: [0],
        rowMode: 'array',
      });
      shown.push(simple.rows, extended.rows);
    });
    const masked = ['[redacted]', '[redacted]', '[redacted]'];
    expect(shown).toEqual([
      [
        [1, masked[0], 'a'],
        [2, masked[1], null],
        [3, masked[2], 'c'],
      ],
      [
        [1, masked[0], 'a'],
        [2, masked[1], null],
        [3, masked[2], 'c'],
      ],
    ]);
    const expected: CapturedResult = {
      columns: ['id', 'email', 'note'],
      rows: [
        ['1', '[redacted]', 'a'],
        ['2', '[redacted]', null],
      ],
      truncated: true,
      numeric: [true, false, false],
    };
    expect(commands.map((c) => c.outcome?.result)).toEqual([expected, expected]);
    expect(commands.map((c) => c.outcome?.rows)).toEqual([3, 3]);
    expect(JSON.stringify(commands)).not.toContain('@example.com');
  });

  it('cuts values at max_bytes and keeps only the first result set', async () => {
    const commands = await session('bytes', async (client) => {
      await client.query(`select repeat('x', 500) as long, 'after' as more`);
      await client.query('select 1 as a; select 2 as b');
    });
    const [long, multi] = commands.map((c) => c.outcome?.result as CapturedTable | undefined);
    expect(long).toMatchObject({ columns: ['long', 'more'], truncated: true });
    expect(long!.rows).toEqual([['x'.repeat(120 - 'longmore'.length)]]);
    expect(multi).toEqual({ columns: ['a'], rows: [['1']], truncated: true, numeric: [true] });
  });

  it('records COPY … TO STDOUT output as psql showed it, masked and capped', async () => {
    const config = await gw.clientConfig('copier');
    const libpq = {
      host: String(config.host),
      port: Number(config.port),
      user: 'copier',
      database: target.name,
      password: String(config.password),
    };
    const shown = await runProcess(
      'psql',
      [
        ...libpqArgs(libpq),
        '-X',
        '-c',
        'copy (select * from users order by id) to stdout',
        '-c',
        'copy users (id, email) to stdout with (format csv)',
      ],
      { env: libpqEnv(libpq) },
    );
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain('1,[redacted]\n2,[redacted]\n3,[redacted]\n');
    const commands = await completedCommands(gw.gateway, 'copier');
    const [query, csv] = commands.map((c) => c.outcome?.result);
    // Column rules resolve only a plain `COPY table`; any other COPY out keeps every field redacted.
    expect(query).toMatchObject({ kind: 'terminal', truncated: true });
    const lines = (query as { events: [number, string, string][] }).events.map((e) => e[2]);
    expect(lines).toEqual([
      '[redacted]\t[redacted]\t[redacted]\n',
      '[redacted]\t[redacted]\t\\N\n', // NULL stays NULL
    ]);
    const csvLines = (csv as { events: [number, string, string][] }).events.map((e) => e[2]);
    expect(csvLines).toEqual(['1,[redacted]\n', '2,[redacted]\n']);
    expect(commands[1]!.outcome?.tag).toBe('COPY 3');
  });

  it('captures empty results, drops failed ones, none for commands without rows', async () => {
    const commands = await session('shapes', async (client) => {
      await client.query(`select id, email from users where false`);
      await expect(client.query('select 1/0 as x')).rejects.toThrow(/division by zero/);
      await client.query('create temp table tmp (a int)');
      await client.query('insert into tmp values ($1)', [5]);
    });
    expect(commands.map((c) => c.outcome?.result)).toEqual([
      { columns: ['id', 'email'], rows: [], truncated: false, numeric: [true, false] },
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('records binary-format values as text (text types) or \\x hex (others)', async () => {
    const commands = await session(
      'binary',
      async (client) => {
        const result = await client.query({
          text: `select 1::int4 as n, 'héllo'::text as t, email from users where id = $1`,
          values: [1],
          rowMode: 'array',
        });
        // The raw cells (pg hands them over as UTF-8): binary format was really used.
        expect(result.rows).toEqual([['\0\0\0\u0001', 'héllo', '[redacted]']]);
      },
      { binary: true, types: { getTypeParser: () => (value: unknown) => value } },
    );
    expect(commands[0]?.outcome?.result).toEqual({
      columns: ['n', 't', 'email'],
      rows: [['\\x00000001', 'héllo', '[redacted]']],
      truncated: false,
      numeric: [true, false, false],
    });
  });
});
