import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import {
  ERROR_QUERIES,
  EXTENDED_QUERIES,
  FIXTURE_SQL,
  MULTI_STATEMENT_QUERIES,
  NOTICE_QUERIES,
  TRANSACTION_QUERIES,
  TYPE_QUERIES,
} from '../helpers/pg-corpus.js';
import { PARITY_SUBJECT, useParityTarget } from '../helpers/pg-parity.js';
import {
  collectNotices,
  collectParameters,
  type QueryOutcome,
  type ServerMessage,
  type SnapshotQuery,
  snapshot,
} from '../helpers/pg-snapshot.js';
import { requirePostgres } from '../helpers/services.js';

const ready = await requirePostgres();

interface Step {
  query: string | SnapshotQuery;
  outcome: QueryOutcome;
  notices: ServerMessage[];
}

/** Runs the queries in order on one connection, recording each outcome and its notices. */
async function replay(client: pg.Client, queries: Array<string | SnapshotQuery>): Promise<Step[]> {
  const notices = collectNotices(client);
  const steps: Step[] = [];
  for (const query of queries) {
    const before = notices.length;
    const outcome = await snapshot(client, query);
    steps.push({ query, outcome, notices: notices.slice(before) });
  }
  return steps;
}

/** Short label for a failing step, without megabytes of parameters. */
function label(step: Step, index: number): string {
  const text = typeof step.query === 'string' ? step.query : step.query.text;
  return `#${index}: ${text.slice(0, 120)}`;
}

describe.skipIf(!ready)('PostgreSQL gateway parity with the pg driver', () => {
  const target = useParityTarget('gh_parity_pg', FIXTURE_SQL);

  /** Same queries on a direct and a gateway connection (direct first: write scenarios reset). */
  async function compare(queries: Array<string | SnapshotQuery>): Promise<Step[]> {
    const direct = await replay(await target.client('direct'), queries);
    const gateway = await replay(await target.client('gateway'), queries);
    expect(gateway.length).toBe(direct.length);
    gateway.forEach((step, i) => {
      expect({ outcome: step.outcome, notices: step.notices }, label(step, i)).toEqual({
        outcome: direct[i]!.outcome,
        notices: direct[i]!.notices,
      });
    });
    return direct;
  }

  it('returns identical rows, fields and tags for every common type, NULLs, empty values and a 2 MB row', async () => {
    const steps = await compare(TYPE_QUERIES);
    for (const [i, step] of steps.entries()) expect(step.outcome.ok, label(step, i)).toBe(true);
    const big = steps.find((s) => String(s.query).startsWith(`select repeat('x'`))!;
    expect(big.outcome.ok && (big.outcome.results[0]!.rows[0]![0] as string).length).toBe(
      2_000_000,
    );
  });

  it('returns every result of multi-statement simple queries, and stops at the first error', async () => {
    const steps = await compare(MULTI_STATEMENT_QUERIES);
    expect(steps[0]!.outcome.ok && steps[0]!.outcome.results).toHaveLength(3);
    expect(steps[2]!.outcome).toMatchObject({ ok: false, error: { code: '22012' } });
  });

  it('forwards errors with every field the server sets', async () => {
    const steps = await compare(ERROR_QUERIES);
    const error = (i: number) => (steps[i]!.outcome.ok ? undefined : steps[i]!.outcome.error);
    expect(error(2)).toMatchObject({
      code: '23505',
      detail: 'Key (id)=(1) already exists.',
      schema: 'public',
      table: 'parity_uniq',
      constraint: 'parity_uniq_pkey',
      severity: 'ERROR',
    });
    expect(error(4)).toMatchObject({ code: '23502', column: 'email', table: 'parity_uniq' });
    expect(error(5)).toMatchObject({ code: '23514', constraint: 'parity_uniq_age_check' });
    expect(error(6)).toMatchObject({ code: '23503', constraint: 'parity_fk_ref_fkey' });
    expect(error(8)).toMatchObject({ code: '42601', position: '10' });
    expect(error(10)).toMatchObject({
      code: '42703',
      hint: expect.stringContaining('parity_types.label'),
    });
    expect(error(12)).toMatchObject({ code: '22012', message: 'division by zero' });
    expect(error(15)).toMatchObject({
      code: '22012',
      where: expect.stringContaining('select 1 / 0'),
    });
    expect(error(16)).toMatchObject({
      code: 'P0001',
      detail: 'the detail',
      hint: 'the hint',
      dataType: 't',
    });
    expect(error(20)).toMatchObject({ code: '25P02' });
    expect(steps.at(-1)!.outcome.ok).toBe(true);
  });

  it('forwards notices, warnings and info messages with detail and hint, in order', async () => {
    const steps = await compare(NOTICE_QUERIES);
    expect(steps[0]!.notices).toEqual([
      expect.objectContaining({
        severity: 'NOTICE',
        message: 'hello ü',
        detail: 'the detail',
        hint: 'the hint',
      }),
      expect.objectContaining({ severity: 'WARNING', code: '01000', message: 'careful' }),
      expect.objectContaining({ severity: 'INFO', message: 'fyi' }),
    ]);
    expect(steps[3]!.notices).toHaveLength(1);
    expect(steps[4]!.notices).toHaveLength(50);
  });

  it('runs extended-protocol queries with parameters, named statements and binary results identically', async () => {
    const steps = await compare(EXTENDED_QUERIES);
    expect(steps[7]!.outcome).toMatchObject({
      ok: true,
      results: [{ rows: [['2000000', expect.any(String)]] }],
    });
    expect(steps[8]!.outcome).toMatchObject({ ok: false, error: { code: '22P02' } });
    expect(steps[14]!.outcome).toMatchObject({ ok: true, results: [{ rows: [['100']] }] });
  });

  it('keeps transaction state: savepoints, aborted transactions, rollback and commit', async () => {
    const steps = await compare(TRANSACTION_QUERIES);
    expect(steps[8]!.outcome).toMatchObject({ ok: false, error: { code: '25P02' } });
    expect(steps[10]!.outcome).toMatchObject({ ok: true, results: [{ rows: [['0']] }] });
    expect(steps[15]!.outcome).toMatchObject({ ok: true, results: [{ rows: [['3', 'kept']] }] });
  });

  it('treats an empty query string as the server does', async () => {
    await compare(['', ' ; ', '-- only a comment']);
  });

  it('reports the same session parameters at startup and after SET', async () => {
    const seen = async (via: 'direct' | 'gateway') => {
      let parameters = new Map<string, string>();
      const client = await target.client(via, (c) => {
        parameters = collectParameters(c);
      });
      await client.query(`set application_name = 'parity'; set timezone = 'Asia/Kolkata'`);
      return Object.fromEntries(parameters);
    };
    const direct = await seen('direct');
    expect(direct).toMatchObject({ application_name: 'parity', TimeZone: 'Asia/Kolkata' });
    expect(await seen('gateway')).toEqual(direct);
  });

  it('went through the gate: the audit store holds the gateway side of the queries above', async () => {
    const { store } = target.gw.gateway;
    const texts = new Set<string>();
    for (const session of await listSessions(store, { subject: PARITY_SUBJECT, limit: 1000 })) {
      for (const command of (await getSession(store, session.id))?.commands ?? [])
        texts.add(command.text);
    }
    for (const text of [
      TYPE_QUERIES[0],
      ERROR_QUERIES[2],
      EXTENDED_QUERIES[0]!.text,
      TRANSACTION_QUERIES[4],
    ]) {
      expect(texts).toContain(text);
    }
  });
});
