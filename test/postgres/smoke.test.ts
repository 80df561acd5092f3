import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { expect, it } from 'vitest';
import { startTestGateway } from '../../src/connectors/postgres/testing.js';

it('smoke', async () => {
  await using gw = await startTestGateway();
  const token = await gw.token();
  const client = new pg.Client(gw.pgConfig(token));
  await client.connect();
  const r = await client.query('select 1 as x, $1::text as y', ['hi']);
  expect(r.rows).toEqual([{ x: 1, y: 'hi' }]);
  const r2 = await client.query('select 2 as z');
  expect(r2.rows).toEqual([{ z: 2 }]);
  await client.end();
  const { stdout: out } = await promisify(execFile)(
    'psql',
    ['-h', gw.host, '-p', String(gw.port), '-U', 'x', '-d', 'postgres', '-Atc', 'select 42'],
    {
      env: { ...process.env, PGPASSWORD: token, PGSSLMODE: 'disable' },
    },
  );
  expect(out.trim()).toBe('42');
});
