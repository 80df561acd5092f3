/**
 * Cost of classifying a SQL statement (and deciding on it), cached and uncached.
 *
 *   node --experimental-transform-types --no-warnings \
 *     --import ./test/helpers/ts-register.mjs bench/classifier-bench.ts
 *   # or, after `npm run build`: node dist/bench/classifier-bench.js
 *
 * "uncached" parses with the PostgreSQL parser every time (each text is distinct); "cached" is
 * the hot path once a text was seen (LRU hit). "literal values" is pgbench's select in simple
 * mode, a new aid on every call: each text is new, but all share one shape (numbers replaced),
 * so after the first call it is a shape hit. Prints µs per call, median of several rounds.
 */
import {
  loadSqlClassifier,
  PreparedStatements,
  type SqlClassifier,
} from '../src/connectors/postgres/classify/classifier.js';
import { CONNECTOR_MODULES, configSchema } from '../src/connectors/registry.js';
import type { Identity } from '../src/core/identity.js';
import { createPolicy } from '../src/policy/index.js';

const STATEMENTS: Record<string, string> = {
  'point select': 'SELECT id, email FROM users WHERE id = $1',
  'join select': `SELECT u.id, u.email, o.total FROM users u JOIN orders o ON o.user_id = u.id
    WHERE u.created_at > now() - interval '7 days' AND o.status = 'open' ORDER BY o.total DESC LIMIT 50`,
  insert:
    "INSERT INTO events (kind, payload, at) VALUES ('login', '{\"ok\":true}', now()) RETURNING id",
  'update (pgbench)': 'UPDATE pgbench_accounts SET abalance = abalance + 42 WHERE aid = 1234',
  'CTE delete':
    'WITH gone AS (DELETE FROM sessions WHERE expires_at < now() RETURNING id) SELECT count(*) FROM gone',
  'multi-statement': 'BEGIN; UPDATE a SET x = 1 WHERE id = 2; INSERT INTO log VALUES (1); COMMIT',
  'DO block': "DO $$ BEGIN EXECUTE 'SELECT 1'; PERFORM pg_sleep(0); END $$",
};

const ROUNDS = 5;

/** Median µs per call of `work(i)` over `calls` calls, repeated ROUNDS times. */
function measure(calls: number, work: (i: number) => void): number {
  const perCall: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) work(i);
    perCall.push(Number(process.hrtime.bigint() - start) / 1000 / calls);
  }
  perCall.sort((a, b) => a - b);
  return perCall[Math.floor(ROUNDS / 2)]!;
}

/** Makes each call's text distinct (a trailing comment) so nothing hits the cache. */
function distinct(sql: string, i: number, round: number): string {
  return `${sql} /* ${round}-${i} */`;
}

async function main(): Promise<void> {
  const classifier: SqlClassifier = await loadSqlClassifier();
  const rows: [string, string, string][] = [];
  let round = 0;
  // Warm up the parser and the JIT so the first row is not paying for them.
  for (let i = 0; i < 3_000; i++) {
    for (const sql of Object.values(STATEMENTS)) classifier.classify(distinct(sql, i, -1));
  }
  for (const [name, sql] of Object.entries(STATEMENTS)) {
    const uncached = measure(2_000, (i) => classifier.classify(distinct(sql, i, round++)));
    classifier.classify(sql);
    const cached = measure(200_000, () => classifier.classify(sql));
    rows.push([name, uncached.toFixed(1), cached.toFixed(3)]);
  }

  // A working set larger than one text but inside the cache: 5 000 distinct texts cycled.
  const workingSet = Array.from({ length: 5_000 }, (_, i) => `SELECT * FROM t WHERE id = ${i}`);
  for (const sql of workingSet) classifier.classify(sql);
  const cycled = measure(200_000, (i) => classifier.classify(workingSet[i % workingSet.length]!));

  // pgbench -M simple: the same statement with a new literal every call.
  let aid = 0;
  const pgbenchSelect = () =>
    classifier.classify(`SELECT abalance FROM pgbench_accounts WHERE aid = ${++aid};`);
  const literals = measure(20_000, pgbenchSelect);
  const pgbenchUpdate = () =>
    classifier.classify(
      `UPDATE pgbench_accounts SET abalance = abalance + ${(aid % 9999) - 5000} WHERE aid = ${++aid};`,
    );
  const literalUpdate = measure(20_000, pgbenchUpdate);

  // EXECUTE resolves against the session on every call (not a plain cache hit).
  const session = new PreparedStatements();
  session.apply(classifier.classify('PREPARE p AS UPDATE t SET x = 1 WHERE id = $1'));
  const execute = measure(200_000, () => classifier.classify('EXECUTE p(1)', session));

  const policy = createPolicy(CONNECTOR_MODULES);
  const connector = connectorWith([
    { name: 'no-dropping-databases', when: { statement: ['drop_database'] }, action: 'deny' },
    {
      name: 'destructive',
      when: { statement: ['drop_table', 'truncate', 'alter_role', 'grant', 'revoke'] },
      action: 'review',
    },
    {
      name: 'unbounded',
      when: { statement: ['delete', 'update'], where: 'absent', agent: true },
      action: 'review',
    },
  ]);
  const who: Identity = {
    issuer: 'https://issuer.test',
    issuerName: 'test',
    subject: 'alice',
    groups: ['agents'],
    agent: true,
  };
  const command = {
    text: 'x',
    ...classifier.classify(STATEMENTS['update (pgbench)']!),
    target: { database: 'app' },
  };
  const now = Date.now();
  const decide = measure(200_000, () => policy.decide({ connector, identity: who, command, now }));

  const width = Math.max(...rows.map(([name]) => name.length), 24);
  const out = [`${'statement'.padEnd(width)}  uncached µs  cached µs`];
  for (const [name, uncached, cached] of rows) {
    out.push(`${name.padEnd(width)}  ${uncached.padStart(11)}  ${cached.padStart(9)}`);
  }
  out.push('');
  out.push(`cached, 5 000-text working set:      ${cycled.toFixed(3)} µs/call`);
  out.push(
    `literal values, pgbench select:      ${literals.toFixed(3)} µs/call (new aid each call)`,
  );
  out.push(`literal values, pgbench update:      ${literalUpdate.toFixed(3)} µs/call`);
  out.push(`EXECUTE of a prepared statement:     ${execute.toFixed(3)} µs/call`);
  out.push(`policy decide (SPEC rules, 3 rules): ${decide.toFixed(3)} µs/call`);
  out.push(`node ${process.version}, ${ROUNDS} rounds, median`);
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();

/** One postgres connector with `rules`, as the config schema produces it. */
function connectorWith(rules: unknown[]) {
  const config = configSchema.parse({
    identity: { issuers: [{ name: 'dev', dev: true }] },
    reviews: { approvers: ['dba'] },
    connectors: [
      {
        name: 'c',
        type: 'postgres',
        listen: '127.0.0.1:0',
        target: { host: '127.0.0.1', port: 5432, database: 'app' },
        access: { groups: ['*'] },
        rules,
      },
    ],
  });
  return config.connectors[0]!;
}
