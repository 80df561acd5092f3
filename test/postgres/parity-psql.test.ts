import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ERROR_QUERIES,
  FIXTURE_SQL,
  MULTI_STATEMENT_QUERIES,
  NOTICE_QUERIES,
  RESET_SQL,
  TRANSACTION_QUERIES,
  TYPE_QUERIES,
} from '../helpers/pg-corpus.js';
import { waitForActiveQuery } from '../helpers/pg-db.js';
import { useParityTarget } from '../helpers/pg-parity.js';
import { type ProcessResult, psql } from '../helpers/psql.js';
import { requireCommands, requirePostgres } from '../helpers/services.js';

const ready = (await requirePostgres()) && requireCommands(['psql']);
const COPY_ROWS = 100_000;

/** The only thing allowed to differ: backend process ids psql prints with notifications. */
function normalize(result: ProcessResult): ProcessResult {
  const pids = (text: string) =>
    text.replace(/server process with PID \d+/g, 'server process with PID <pid>');
  return { ...result, stdout: pids(result.stdout), stderr: pids(result.stderr) };
}

const script = (queries: string[]) => `${queries.join(';\n')};\n`;
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** 100k rows in COPY text format: unicode, escapes, NULLs, numerics and timestamps. */
function copyRows(): string {
  const lines: string[] = [];
  for (let i = 1; i <= COPY_ROWS; i++) {
    const name = i % 10 === 0 ? '\\N' : `name ${i} ü😀${i % 7 === 0 ? '\\ttab\\\\slash' : ''}`;
    const amount = i % 13 === 0 ? '\\N' : `${i}.${String(i % 100).padStart(2, '0')}`;
    lines.push(`${i}\t${name}\t${amount}\t2024-01-01 00:00:00+00\n`);
  }
  return lines.join('');
}

describe.skipIf(!ready)('PostgreSQL gateway parity with psql', () => {
  const target = useParityTarget('gh_parity_psql', FIXTURE_SQL);
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-parity-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs a script directly and then through the gateway; returns both, normalised. */
  async function run(text: string, extraArgs: string[] = []) {
    const direct = normalize(await psql(await target.libpq('direct'), text, extraArgs));
    const gateway = normalize(await psql(await target.libpq('gateway'), text, extraArgs));
    return { direct, gateway };
  }

  async function expectSame(text: string, extraArgs: string[] = []): Promise<ProcessResult> {
    const { direct, gateway } = await run(text, extraArgs);
    expect(gateway).toEqual(direct);
    return direct;
  }

  it('prints identical output for every common type, NULLs, empty strings and a 2 MB row', async () => {
    const out = await expectSame(script(TYPE_QUERIES));
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toContain('x'.repeat(2_000_000));
  });

  it('prints identical results, errors (all fields, verbose) and notices', async () => {
    const out = await expectSame(
      script([...MULTI_STATEMENT_QUERIES, ...ERROR_QUERIES, ...NOTICE_QUERIES]),
    );
    expect(out.stderr).toContain(
      'ERROR:  23505: duplicate key value violates unique constraint "parity_uniq_pkey"',
    );
    expect(out.stderr).toContain('CONSTRAINT NAME:  parity_uniq_pkey');
    expect(out.stderr).toMatch(/LINE 1: select \* fromm parity_types;\n\s+\^/);
    expect(out.stderr).toContain('NOTICE:  00000: hello ü\nDETAIL:  the detail\nHINT:  the hint');
  });

  it('runs a transaction with savepoint, error and rollback identically', async () => {
    await expectSame(script(TRANSACTION_QUERIES));
  });

  it('connects with libpq defaults (sslmode=prefer): the gateway declines or accepts TLS cleanly', async () => {
    const libpq = { ...(await target.libpq('gateway')), sslmode: 'prefer' };
    const result = await psql(libpq, 'select current_database() as db;\n');
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(target.db.name);
  });

  it('exits with the same status when ON_ERROR_STOP stops a script', async () => {
    const out = await expectSame(
      script(['select 1 as first', 'select 1 / 0', 'select 3 as never']),
      ['-v', 'ON_ERROR_STOP=1'],
    );
    expect(out.code).toBe(3);
    expect(out.stdout).not.toContain('never');
  });

  it('answers psql describe commands (catalog queries) identically', async () => {
    await expectSame('\\d parity_types\n\\dt\n\\dT\n\\df parity_fail\n\\d+ parity_uniq\n');
  });

  it('delivers LISTEN/NOTIFY notifications psql prints after each command', async () => {
    const out = await expectSame(
      script([
        `listen parity_chan`,
        `notify parity_chan, 'payload ü'`,
        `select pg_notify('parity_chan', 'second')`,
        `unlisten *`,
      ]),
    );
    expect(out.stdout).toContain(
      'Asynchronous notification "parity_chan" with payload "payload ü" received',
    );
  });

  it(`copies ${COPY_ROWS} rows in and out (\\copy and COPY TO STDOUT) with identical results`, async () => {
    const rows = copyRows();
    const input = join(dir, 'in.tsv');
    await writeFile(input, rows);
    const copyScript = (out: string) =>
      [
        `${RESET_SQL};`,
        `\\copy parity_copy from '${input}'`,
        `select count(*), sum(id), count(name), count(amount), md5(string_agg(id || ':' || coalesce(name, '~') || ':' || coalesce(amount::text, '~'), ',' order by id)) from parity_copy;`,
        `\\copy (select * from parity_copy order by id) to '${out}.tsv'`,
        `\\copy parity_copy to '${out}.bin' with (format binary)`,
        `copy (select * from parity_copy order by id) to stdout with (format csv);`,
        '',
      ].join('\n');
    const direct = await psql(await target.libpq('direct'), copyScript(join(dir, 'direct')));
    const gateway = await psql(await target.libpq('gateway'), copyScript(join(dir, 'gateway')));
    expect(gateway.stderr).toBe(direct.stderr);
    expect(gateway.code).toBe(direct.code);
    expect(sha256(gateway.stdout)).toBe(sha256(direct.stdout));
    expect(direct.stdout).toContain(`COPY ${COPY_ROWS}\n`);
    expect(direct.stdout.split('\n').length).toBeGreaterThan(COPY_ROWS);

    const [directOut, gatewayOut, directBin, gatewayBin] = await Promise.all(
      ['direct.tsv', 'gateway.tsv', 'direct.bin', 'gateway.bin'].map((f) => readFile(join(dir, f))),
    );
    expect(sha256(directOut!)).toBe(sha256(rows));
    expect(sha256(gatewayOut!)).toBe(sha256(rows));
    expect(sha256(gatewayBin!)).toBe(sha256(directBin!));
  });

  it('handles COPY FROM STDIN inline data, including a bad row and its CONTEXT', async () => {
    const data = [
      `${RESET_SQL};`,
      'copy parity_copy (id, name, amount) from stdin;',
      '1\tone\t1.5',
      '2\t\\N\t\\N',
      '\\.',
      'copy parity_copy (id, name, amount) from stdin;',
      '3\tthree\t3',
      'x\tbad\t4',
      '\\.',
      'select * from parity_copy order by id;',
      '',
    ].join('\n');
    const out = await expectSame(data);
    expect(out.stdout).toContain('COPY 2');
    expect(out.stderr).toContain('22P02');
    expect(out.stderr).toContain('CONTEXT:  COPY parity_copy, line 2, column id: "x"');
  });

  it('cancels a running query on SIGINT (psql sends a CancelRequest) within a second', async () => {
    const sleepScript = 'select pg_sleep(10);\nselect 1 as never_runs;\n';
    const cancelled = async (via: 'direct' | 'gateway') => {
      let signalledAt = 0;
      const result = await psql(await target.libpq(via), sleepScript, [], (child) => {
        void waitForActiveQuery(target.db.name, 'select pg_sleep').then(() => {
          signalledAt = Date.now();
          child.kill('SIGINT');
        });
      });
      return { result, ms: Date.now() - signalledAt };
    };
    const direct = await cancelled('direct');
    const gateway = await cancelled('gateway');
    expect(gateway.result).toEqual(direct.result);
    expect(gateway.result.stderr).toContain(
      'ERROR:  57014: canceling statement due to user request',
    );
    expect(gateway.result.code).toBe(3); // psql ends a script whose statement was cancelled
    expect(gateway.ms).toBeLessThan(1500);
  });
});
