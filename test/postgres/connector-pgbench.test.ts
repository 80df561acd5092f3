/** pgbench through the gateway: initialisation (COPY, DDL) and every query mode, without errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { type LibpqTarget, pgbench } from '../helpers/psql.js';

let db: TestDatabase;
let gw: TestConnector;
let target: LibpqTarget;

beforeAll(async () => {
  db = await createDatabase('gh_pgbench');
  gw = await startTestConnector({
    connector: {
      target: {
        host: '127.0.0.1',
        port: 5432,
        user: 'postgres',
        database: db.name,
        tls: 'disable',
      },
    },
  });
  target = {
    host: gw.host,
    port: gw.port,
    user: 'bench',
    database: db.name,
    password: await gw.token(),
  };
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});

describe('pgbench through the gateway', () => {
  it('initialises a scale-2 database', async () => {
    const init = await pgbench(target, ['-i', '-s', '2', '-q']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/done in/);
    const check = await db.connect();
    const { rows } = await check.query('select count(*)::int n from pgbench_accounts');
    await check.end();
    expect(rows[0].n).toBe(200_000);
  });

  for (const mode of ['simple', 'extended', 'prepared']) {
    it(`runs the TPC-B-like script with -M ${mode} and 4 clients`, async () => {
      const run = await pgbench(target, ['-M', mode, '-c', '4', '-j', '2', '-t', '200', '-n']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/number of transactions actually processed: 800\/800/);
      expect(run.stdout).toMatch(/number of failed transactions: 0/);
    });

    it(`runs select-only with -M ${mode}`, async () => {
      const run = await pgbench(target, [
        '-M',
        mode,
        '-S',
        '-c',
        '8',
        '-j',
        '2',
        '-t',
        '500',
        '-n',
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/number of transactions actually processed: 4000\/4000/);
    });
  }
});
