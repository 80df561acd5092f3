import { describe, expect, it } from 'vitest';
import { useParityTarget } from '../helpers/pg-parity.js';
import { type LibpqTarget, type ProcessResult, pgbench } from '../helpers/psql.js';
import { requireCommands, requirePostgres } from '../helpers/services.js';

const ready = (await requirePostgres()) && requireCommands(['pgbench']);
const CLIENTS = 4;
const TRANSACTIONS = 200;
const MODES = ['simple', 'extended', 'prepared'] as const;

function processed(result: ProcessResult): string | undefined {
  return /number of transactions actually processed: (\d+\/\d+)/.exec(result.stdout)?.[1];
}

function explain(result: ProcessResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

describe.skipIf(!ready)('PostgreSQL gateway parity with pgbench', () => {
  const target = useParityTarget('gh_parity_bench');

  async function countHistory(): Promise<number> {
    const client = await target.db.connect();
    try {
      return (await client.query('select count(*)::int as n from pgbench_history')).rows[0].n;
    } finally {
      await client.end();
    }
  }

  it('initialises -s 1 through the gateway (COPY of 100k accounts)', {
    timeout: 120_000,
  }, async () => {
    const init = await pgbench(await target.libpq('gateway'), ['-i', '-s', '1', '-q']);
    expect(init.code, explain(init)).toBe(0);
    const client = await target.db.connect();
    try {
      const { rows } = await client.query(
        'select (select count(*) from pgbench_accounts)::int as accounts, (select count(*) from pgbench_branches)::int as branches',
      );
      expect(rows[0]).toEqual({ accounts: 100_000, branches: 1 });
    } finally {
      await client.end();
    }
  });

  for (const mode of MODES) {
    it(`runs -M ${mode} -c ${CLIENTS} -t ${TRANSACTIONS} through the gateway like a direct connection`, {
      timeout: 120_000,
    }, async () => {
      const args = ['-M', mode, '-c', String(CLIENTS), '-t', String(TRANSACTIONS), '-n'];
      const run = async (via: 'direct' | 'gateway', libpq: LibpqTarget) => {
        const before = await countHistory();
        const result = await pgbench(libpq, args);
        expect(result.code, `${via}: ${explain(result)}`).toBe(0);
        return {
          processed: processed(result),
          history: (await countHistory()) - before,
          stderr: result.stderr,
        };
      };
      const direct = await run('direct', await target.libpq('direct'));
      const gateway = await run('gateway', await target.libpq('gateway'));
      expect(direct.processed).toBe(`${CLIENTS * TRANSACTIONS}/${CLIENTS * TRANSACTIONS}`);
      expect(gateway).toEqual(direct);
    });
  }

  it('leaves TPC-B balances consistent (every transaction applied exactly once)', async () => {
    const client = await target.db.connect();
    try {
      const { rows } = await client.query(`select
        (select sum(abalance) from pgbench_accounts)::bigint as accounts,
        (select sum(bbalance) from pgbench_branches)::bigint as branches,
        (select sum(tbalance) from pgbench_tellers)::bigint as tellers,
        (select sum(delta) from pgbench_history)::bigint as history`);
      const { accounts, branches, tellers, history } = rows[0];
      expect([accounts, branches, tellers]).toEqual([history, history, history]);
    } finally {
      await client.end();
    }
  });
});
