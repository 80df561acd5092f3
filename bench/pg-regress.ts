/**
 * PostgreSQL's regression suite (pg_regress, `--use-existing`, a parallel schedule) run directly
 * against the target and through a Gatehouse gateway, reporting every test whose output through
 * the gateway differs from its output directly.
 *
 *   npm run regress -- --input DIR [--schedule FILE] [--out DIR] [--max-connections N]
 *                      [--host H --port P --user U] [--pg-regress PATH] [--bindir DIR]
 *
 * DIR is laid out like PostgreSQL's src/test/regress: `sql/*.sql`, optionally `data/` (the
 * files test_setup loads) and `parallel_schedule` (used unless --schedule is given). Debian's
 * postgresql-15 ships pg_regress but not the suite's .sql/.out files, so expected outputs are
 * not needed: the baseline is what this server answers directly. The suite runs directly twice
 * (tests whose two direct outputs differ are unstable and left out), then through the gateway;
 * a test fails through the gateway when its output differs from the first direct run. Schedule
 * entries without a .sql file are skipped. Each run gets a fresh database; roles `regress_%`
 * and the tablespace `regress_tblspace` left behind are dropped between runs.
 *
 * The gateway is the real composition root (src/server/gateway.ts) with a dev issuer, a SQLite
 * store in a temp dir, one postgres connector without a configured database (pg_regress picks
 * it), `default: allow` and no rules, so any difference is the gateway's, not a policy's.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { stringify } from 'yaml';

const run = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    input: { type: 'string' },
    schedule: { type: 'string' },
    out: { type: 'string' },
    host: { type: 'string', default: process.env['PGHOST'] ?? '127.0.0.1' },
    port: { type: 'string', default: process.env['PGPORT'] ?? '5432' },
    user: { type: 'string', default: process.env['PGUSER'] ?? 'postgres' },
    'max-connections': { type: 'string', default: '5' },
    'pg-regress': {
      type: 'string',
      default: '/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress',
    },
    bindir: { type: 'string', default: '/usr/lib/postgresql/15/bin' },
    database: { type: 'string', default: 'regression_gatehouse' },
  },
});

interface Upstream {
  host: string;
  port: number;
  user: string;
}

interface Endpoint extends Upstream {
  password?: string;
}

/** Schedule lines (`test: a b c`) restricted to tests that have a .sql file. */
async function loadSchedule(
  file: string,
  sqlDir: string,
): Promise<{ lines: string[]; tests: string[]; missing: string[] }> {
  const available = new Set(
    (await readdir(sqlDir)).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4)),
  );
  const lines: string[] = [];
  const tests: string[] = [];
  const missing: string[] = [];
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const match = /^test:\s*(.*)$/.exec(line.trim());
    if (!match) continue;
    const group = match[1]!.split(/\s+/).filter(Boolean);
    const present = group.filter((t) => available.has(t));
    missing.push(...group.filter((t) => !available.has(t)));
    if (present.length === 0) continue;
    lines.push(`test: ${present.join(' ')}`);
    tests.push(...present);
  }
  return { lines, tests, missing };
}

/** SQL run directly on the upstream as its own user (database setup, clean-up). */
async function adminSql(upstream: Upstream, database: string, sql: string): Promise<void> {
  await run(
    join(args.bindir, 'psql'),
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=0',
      '-h',
      upstream.host,
      '-p',
      String(upstream.port),
      '-U',
      upstream.user,
      '-d',
      database,
      '-c',
      sql,
    ],
    { env: { ...process.env, PGOPTIONS: '' } },
  ).catch(() => undefined);
}

/** Rows of a one-column query, run directly on the upstream. */
async function psqlLines(upstream: Upstream, database: string, sql: string): Promise<string[]> {
  const psqlArgs = ['-X', '-At', '-h', upstream.host, '-p', String(upstream.port)];
  psqlArgs.push('-U', upstream.user, '-d', database, '-c', sql);
  return run(join(args.bindir, 'psql'), psqlArgs).then(
    (r) => r.stdout.split('\n').filter(Boolean),
    () => [],
  );
}

/** A fresh test database, as pg_regress would create it, with leftovers of an earlier run gone. */
async function freshDatabase(upstream: Upstream, database: string): Promise<void> {
  // A subscription (the subscription test's, left by a failure) keeps the database from dropping.
  const subscriptions = await psqlLines(
    upstream,
    'postgres',
    `select s.subname from pg_subscription s join pg_database d on d.oid = s.subdbid where d.datname = '${database}'`,
  );
  for (const name of subscriptions) {
    await adminSql(upstream, database, `ALTER SUBSCRIPTION "${name}" DISABLE`);
    await adminSql(upstream, database, `ALTER SUBSCRIPTION "${name}" SET (slot_name = NONE)`);
    await adminSql(upstream, database, `DROP SUBSCRIPTION "${name}"`);
  }
  await adminSql(upstream, 'postgres', `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await adminSql(upstream, 'postgres', 'DROP TABLESPACE IF EXISTS regress_tblspace');
  const roles = await psqlLines(
    upstream,
    'postgres',
    "select rolname from pg_roles where rolname like 'regress\\_%'",
  );
  for (const role of roles) {
    await adminSql(upstream, 'postgres', `DROP OWNED BY "${role}" CASCADE`);
    await adminSql(upstream, 'postgres', `DROP ROLE IF EXISTS "${role}"`);
  }
  await adminSql(upstream, 'postgres', `CREATE DATABASE "${database}" TEMPLATE=template0`);
  for (const setting of [
    "lc_messages TO 'C'",
    "lc_monetary TO 'C'",
    "lc_numeric TO 'C'",
    "lc_time TO 'C'",
    "bytea_output TO 'hex'",
    "timezone_abbreviations TO 'Default'",
  ]) {
    await adminSql(upstream, 'postgres', `ALTER DATABASE "${database}" SET ${setting}`);
  }
}

/**
 * The input every run reads, at one path (error messages quote it): the suite's sql/ and data/,
 * and an empty expected file per test (pg_regress stops at a missing one; the comparison that
 * counts is made here).
 */
async function prepareInput(input: string, tests: string[], outDir: string): Promise<string> {
  const inputDir = join(outDir, 'input');
  await rm(inputDir, { recursive: true, force: true });
  await mkdir(join(inputDir, 'expected'), { recursive: true });
  await symlink(resolve(input, 'sql'), join(inputDir, 'sql'));
  if (existsSync(join(input, 'data'))) {
    await symlink(resolve(input, 'data'), join(inputDir, 'data'));
  }
  for (const test of tests) await writeFile(join(inputDir, 'expected', `${test}.out`), '');
  return inputDir;
}

/**
 * One pg_regress run, always in `<out>/run` (outputs may quote the path), its results then
 * moved to `<out>/<name>`; returns each test's output (undefined when none) and the time taken.
 */
async function regressRun(
  name: string,
  endpoint: Endpoint,
  upstream: Upstream,
  inputDir: string,
  scheduleLines: string[],
  tests: string[],
  outDir: string,
): Promise<{ outputs: Map<string, string | undefined>; seconds: number }> {
  const dir = join(outDir, 'run');
  const kept = join(outDir, name);
  await rm(dir, { recursive: true, force: true });
  await rm(kept, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const schedule = join(dir, 'schedule');
  await writeFile(schedule, `${scheduleLines.join('\n')}\n`);
  await freshDatabase(upstream, args.database);
  const started = performance.now();
  const regressArgs = ['--use-existing', '--host', endpoint.host, '--port', String(endpoint.port)];
  regressArgs.push('--user', endpoint.user, '--dbname', args.database, '--inputdir', inputDir);
  regressArgs.push('--outputdir', dir, '--bindir', args.bindir, '--schedule', schedule);
  regressArgs.push(`--max-connections=${args['max-connections']}`);
  await run(args['pg-regress'], regressArgs, {
    env: { ...process.env, ...(endpoint.password ? { PGPASSWORD: endpoint.password } : {}) },
    maxBuffer: 64 * 2 ** 20,
  }).catch(() => undefined); // non-zero: tests "failed" against the empty expected files
  const seconds = (performance.now() - started) / 1000;
  await rename(dir, kept);
  const outputs = new Map<string, string | undefined>();
  for (const test of tests) {
    const file = join(kept, 'results', `${test}.out`);
    outputs.set(test, existsSync(file) ? await readFile(file, 'utf8') : undefined);
  }
  return { outputs, seconds };
}

/** Gatehouse in this process, in front of the upstream; resolves to its endpoint and a stop. */
async function startGatewayFor(
  upstream: Upstream,
): Promise<{ endpoint: Endpoint; stop: () => Promise<void> }> {
  const [{ parseConfig }, { DevIssuer }, { startGateway }, { pino }] = await Promise.all([
    import('../src/connectors/registry.js'),
    import('../src/identity/index.js'),
    import('../src/server/gateway.js'),
    import('pino'),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-regress-'));
  const raw = {
    server: { api: { listen: '127.0.0.1:0' } },
    store: { url: `sqlite:${join(dir, 'gatehouse.db')}` },
    identity: { issuers: [{ name: 'dev', dev: true, key_file: join(dir, 'dev-issuer-key.json') }] },
    connectors: [
      {
        name: 'regress',
        type: 'postgres',
        listen: '127.0.0.1:0',
        target: { host: upstream.host, port: upstream.port, user: upstream.user },
        access: { groups: ['regress'] },
        default: 'allow',
      },
    ],
  };
  const config = parseConfig(stringify(raw), join(dir, 'gatehouse.yaml'));
  const issuer = await DevIssuer.load(config.identity.issuers.find((i) => i.dev)!);
  const logger = pino({ level: process.env['GATEHOUSE_LOG_LEVEL'] ?? 'warn' }, pino.destination(2));
  const gateway = await startGateway(config, { logger, drainMs: 1000 });
  const { host, port } = gateway.connectors[0]!.address();
  const password = await issuer.mint('regress', {
    groups: ['regress'],
    agent: true,
    ttlSeconds: 24 * 3600,
  });
  return {
    endpoint: { host, port, user: upstream.user, password },
    stop: async () => {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function diffText(a: string, b: string, label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'regress-diff-'));
  await writeFile(join(dir, 'direct'), a);
  await writeFile(join(dir, 'gateway'), b);
  const out = await run(
    'diff',
    [
      '-u',
      '--label',
      `${label} (direct)`,
      '--label',
      `${label} (gateway)`,
      join(dir, 'direct'),
      join(dir, 'gateway'),
    ],
    {
      maxBuffer: 64 * 2 ** 20,
    },
  ).then(
    (r) => r.stdout,
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  await rm(dir, { recursive: true, force: true });
  return out;
}

async function main(): Promise<void> {
  if (!args.input) {
    console.error(
      'usage: npm run regress -- --input DIR (a copy of src/test/regress: sql/, data/, parallel_schedule)',
    );
    process.exit(2);
  }
  const input = resolve(args.input);
  const scheduleFile = args.schedule ?? join(input, 'parallel_schedule');
  const outDir = resolve(args.out ?? join(tmpdir(), 'gatehouse-regress'));
  await mkdir(outDir, { recursive: true });
  const upstream = { host: args.host, port: Number(args.port), user: args.user };
  const { lines, tests, missing } = await loadSchedule(scheduleFile, join(input, 'sql'));
  console.log(
    `${tests.length} tests in ${lines.length} groups (${missing.length} scheduled without a .sql file: ${missing.join(' ') || 'none'})`,
  );

  const inputDir = await prepareInput(input, tests, outDir);
  const direct = await regressRun('direct', upstream, upstream, inputDir, lines, tests, outDir);
  console.log(`direct run 1: ${direct.seconds.toFixed(1)} s`);
  const again = await regressRun(
    'direct-again',
    upstream,
    upstream,
    inputDir,
    lines,
    tests,
    outDir,
  );
  console.log(`direct run 2: ${again.seconds.toFixed(1)} s`);
  const gateway = await startGatewayFor(upstream);
  let through: Awaited<ReturnType<typeof regressRun>>;
  try {
    through = await regressRun(
      'gateway',
      gateway.endpoint,
      upstream,
      inputDir,
      lines,
      tests,
      outDir,
    );
  } finally {
    await gateway.stop();
  }
  console.log(`through the gateway: ${through.seconds.toFixed(1)} s`);
  await freshDatabase(upstream, args.database);
  await adminSql(upstream, 'postgres', `DROP DATABASE IF EXISTS "${args.database}" WITH (FORCE)`);

  const stable = tests.filter(
    (t) => direct.outputs.get(t) !== undefined && direct.outputs.get(t) === again.outputs.get(t),
  );
  const unstable = tests.filter((t) => !stable.includes(t));
  const differ = stable.filter((t) => through.outputs.get(t) !== direct.outputs.get(t));
  const diffs: string[] = [];
  for (const test of differ) {
    diffs.push(await diffText(direct.outputs.get(test)!, through.outputs.get(test) ?? '', test));
  }
  // An unstable test (OIDs, timings) is still looked at: lines only the gateway's output has.
  const suspicious: string[] = [];
  for (const test of unstable) {
    const seen = new Set([
      ...(direct.outputs.get(test) ?? '').split('\n'),
      ...(again.outputs.get(test) ?? '').split('\n'),
    ]);
    const only = (through.outputs.get(test) ?? '').split('\n').filter((line) => !seen.has(line));
    const gatewayLines = only.filter((line) => /gatehouse/i.test(line));
    if (gatewayLines.length > 0) {
      suspicious.push(`${test}: ${gatewayLines.length} gateway line(s), e.g. ${gatewayLines[0]}`);
    }
  }
  const report = [
    `pg_regress through Gatehouse (${new Date().toISOString()})`,
    `tests scheduled with a .sql file: ${tests.length}`,
    `stable directly (same output in two direct runs): ${stable.length}`,
    `unstable directly (left out): ${unstable.length}${unstable.length ? ` — ${unstable.join(' ')}` : ''}`,
    `same output through the gateway: ${stable.length - differ.length}`,
    `different through the gateway: ${differ.length}${differ.length ? ` — ${differ.join(' ')}` : ''}`,
    `unstable tests with lines from the gateway: ${suspicious.length}${suspicious.map((l) => `\n  ${l}`).join('')}`,
    `time: direct ${direct.seconds.toFixed(1)} s, through the gateway ${through.seconds.toFixed(1)} s`,
  ].join('\n');
  await writeFile(join(outDir, 'report.txt'), `${report}\n`);
  await writeFile(join(outDir, 'gateway-vs-direct.diffs'), diffs.join('\n'));
  console.log(`\n${report}\n\ndiffs: ${join(outDir, 'gateway-vs-direct.diffs')}`);
  process.exitCode = differ.length > 0 || suspicious.length > 0 ? 1 : 0;
}

await main();
