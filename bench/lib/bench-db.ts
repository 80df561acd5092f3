import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Upstream } from './targets.js';

const run = promisify(execFile);

/**
 * Makes sure the dedicated benchmark database exists and holds pgbench's tables at `scale`;
 * initialises it (`pgbench -i -s SCALE`) only when it does not, so repeated runs start at once.
 */
export async function ensureBenchDatabase(
  upstream: Upstream,
  scale: number,
  reinit: boolean,
): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(upstream.database)) {
    throw new Error(
      `benchmark database name "${upstream.database}" must be a plain lower-case identifier`,
    );
  }
  const admin = new pg.Client({
    host: upstream.host,
    port: upstream.port,
    user: upstream.user,
    database: 'postgres',
  });
  await admin.connect().catch((err: Error) => {
    throw new Error(
      `cannot reach PostgreSQL at ${upstream.host}:${upstream.port} as ${upstream.user}: ${err.message}`,
    );
  });
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      upstream.database,
    ]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${upstream.database}`);
  } finally {
    await admin.end();
  }
  if (!reinit && (await isInitialised(upstream, scale))) return;
  console.log(`Initialising ${upstream.database} with pgbench -i -s ${scale} (once)…`);
  await run(
    'pgbench',
    [
      '-i',
      '-s',
      String(scale),
      '-q',
      '-h',
      upstream.host,
      '-p',
      String(upstream.port),
      '-U',
      upstream.user,
      upstream.database,
    ],
    { env: { ...process.env, PGSSLMODE: 'disable' }, maxBuffer: 16 << 20 },
  );
}

/** Complete tables at this scale, primary keys included (an interrupted -i leaves neither). */
async function isInitialised(upstream: Upstream, scale: number): Promise<boolean> {
  const client = new pg.Client({ ...upstream });
  await client.connect();
  try {
    const result = await client.query<{ branches: string; accounts: string; pk: boolean }>(
      `SELECT (SELECT count(*) FROM pgbench_branches) AS branches,
              (SELECT count(*) FROM pgbench_accounts) AS accounts,
              to_regclass('pgbench_accounts_pkey') IS NOT NULL AS pk`,
    );
    const row = result.rows[0]!;
    return Number(row.branches) === scale && Number(row.accounts) === scale * 100_000 && row.pk;
  } catch {
    return false;
  } finally {
    await client.end();
  }
}
