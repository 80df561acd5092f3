import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadSqlClassifier,
  PreparedStatements,
  type SqlClassification,
  type SqlClassifier,
} from '../../src/connectors/postgres/classify/classifier.js';
import { sqlCommand } from '../../src/connectors/postgres/session/command.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';
import { connectorWith, identity, testPolicy } from '../support/policy.js';

/*
 * Attempts to slip a command past the example policy (docs/policy.md) (plus a rule against
 * server-side programs and admin functions), each asserted to the class the classifier must see and
 * the decision an agent gets. The second suite runs the same texts on a real PostgreSQL server and
 * checks the classifier never calls a text harmless when the server in fact changed something.
 */

const policy = testPolicy();
const connector = connectorWith([
  { name: 'no-dropping-databases', when: { statement: ['drop_database'] }, action: 'deny' },
  {
    name: 'destructive-changes-need-a-dba',
    when: { statement: ['drop_table', 'truncate', 'alter_role', 'grant', 'revoke'] },
    action: 'review',
    review: { approvers: ['dba'], approvals: 1, timeout: '1h', wait: '5m' },
  },
  {
    name: 'unbounded-writes-need-review',
    when: { statement: ['delete', 'update'], where: 'absent', agent: true },
    action: 'review',
    review: { approvers: ['dba'] },
  },
  { name: 'no-server-programs', when: { statement: ['copy_program', 'admin'] }, action: 'deny' },
]);
const agent = identity({ subject: 'agent-1', groups: ['agents'], agent: true });

interface Entry {
  name: string;
  sql: string;
  /** Classes that must be present. */
  has: string[];
  /** Classes that must be absent. */
  lacks?: string[];
  decision: 'allow' | 'deny' | 'review';
  /** What running it on the server does to table t (3 rows), when it is checked. */
  effect?: 'dropped' | 'emptied' | 'untouched';
}

const corpus: Entry[] = [
  // Comments
  {
    name: 'empty comment between keywords',
    sql: 'drop/**/table t',
    has: ['drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'comments around and inside',
    sql: '/* harmless */ DROP /* x */ TABLE t -- select',
    has: ['drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'line comment hides the drop',
    sql: '-- DROP TABLE t\nSELECT 1',
    has: ['read'],
    lacks: ['drop_table'],
    decision: 'allow',
    effect: 'untouched',
  },
  {
    name: 'nested block comments stay open',
    sql: '/* outer /* inner */ DROP TABLE t */ SELECT 1',
    has: ['read'],
    lacks: ['drop_table'],
    decision: 'allow',
    effect: 'untouched',
  },
  {
    name: 'comment ends a line, drop on the next',
    sql: 'SELECT 1 -- ;\n; DROP TABLE t',
    has: ['drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  // Casing and quoting
  {
    name: 'mixed case',
    sql: 'dRoP tAbLe T',
    has: ['drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'quoted table name',
    sql: 'DROP TABLE "t"',
    has: ['drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'keywords in a quoted alias',
    sql: 'SELECT 1 AS "DROP TABLE t"',
    has: ['read'],
    lacks: ['drop_table'],
    decision: 'allow',
    effect: 'untouched',
  },
  {
    name: 'keywords in a string',
    sql: "SELECT 'DROP TABLE t; TRUNCATE t'",
    has: ['read'],
    lacks: ['drop_table', 'truncate'],
    decision: 'allow',
    effect: 'untouched',
  },
  {
    name: 'doubled quote then a drop',
    sql: "SELECT 'it''s'; DROP TABLE t",
    has: ['read', 'drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'E-string escaped quote keeps the drop inside',
    sql: "SELECT E'\\'; DROP TABLE t; --'",
    has: ['read'],
    lacks: ['drop_table'],
    decision: 'allow',
    effect: 'untouched',
  },
  {
    name: 'standard string: backslash does not escape',
    sql: "SELECT '\\'; DROP TABLE t; --'",
    has: ['drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  // Unicode escapes
  {
    name: 'unicode escape identifier',
    sql: 'DROP TABLE U&"\\0074"',
    has: ['drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'unicode escape with UESCAPE',
    sql: 'DROP TABLE U&"!0074" UESCAPE \'!\'',
    has: ['drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'unicode escape string is data',
    sql: "SELECT U&'\\0044ROP TABLE t'",
    has: ['read'],
    lacks: ['drop_table'],
    decision: 'allow',
    effect: 'untouched',
  },
  // Dollar quoting
  {
    name: 'dollar quote hides semicolons',
    sql: 'SELECT $$; DROP TABLE t; $$',
    has: ['read'],
    lacks: ['drop_table'],
    decision: 'allow',
    effect: 'untouched',
  },
  {
    name: 'tagged dollar quote hides an inner $$',
    sql: 'SELECT $x$ $$ ; DROP TABLE t; $$ $x$',
    has: ['read'],
    lacks: ['drop_table'],
    decision: 'allow',
    effect: 'untouched',
  },
  {
    name: 'dollar quote closes before the drop',
    sql: 'SELECT $a$ x $a$; DROP TABLE t',
    has: ['drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'different tags do not close',
    sql: 'SELECT $a$ $b$; DROP TABLE t; $a$',
    has: ['read'],
    lacks: ['drop_table'],
    decision: 'allow',
    effect: 'untouched',
  },
  // Several statements
  {
    name: 'chained after a read',
    sql: 'SELECT 1; DROP TABLE t',
    has: ['read', 'drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'chained without spaces',
    sql: 'SELECT 1;DROP DATABASE gh_does_not_exist',
    has: ['drop_database'],
    decision: 'deny',
  },
  {
    name: 'in a transaction block',
    sql: 'BEGIN; DROP TABLE t; COMMIT',
    has: ['transaction', 'drop_table'],
    decision: 'review',
    effect: 'dropped',
  },
  {
    name: 'truncate among reads',
    sql: 'SELECT 1; SELECT 2; TRUNCATE ONLY t; SELECT 3',
    has: ['truncate'],
    decision: 'review',
    effect: 'emptied',
  },
  // Writes hidden in reads
  {
    name: 'DELETE in a CTE',
    sql: 'WITH x AS (DELETE FROM t RETURNING *) SELECT count(*) FROM x',
    has: ['delete', 'write'],
    lacks: ['read'],
    decision: 'review',
    effect: 'emptied',
  },
  {
    name: 'UPDATE in a CTE feeding an INSERT',
    sql: 'WITH u AS (UPDATE t SET x = 0 RETURNING x) INSERT INTO t SELECT x FROM u',
    has: ['update', 'insert'],
    decision: 'review',
  },
  {
    name: 'EXPLAIN ANALYZE runs the delete',
    sql: 'EXPLAIN ANALYZE DELETE FROM t',
    has: ['explain', 'delete'],
    decision: 'review',
    effect: 'emptied',
  },
  {
    name: 'EXPLAIN (ANALYZE) of a CTE delete',
    sql: 'EXPLAIN (ANALYZE, COSTS off) WITH d AS (DELETE FROM t RETURNING 1) SELECT 1 FROM d',
    has: ['delete'],
    decision: 'review',
    effect: 'emptied',
  },
  {
    name: 'EXPLAIN without ANALYZE does not run it',
    sql: 'EXPLAIN DELETE FROM t',
    has: ['explain', 'read'],
    lacks: ['delete'],
    decision: 'allow',
    effect: 'untouched',
  },
  {
    name: 'SELECT INTO creates a table',
    sql: 'SELECT * INTO t_copy FROM t',
    has: ['select_into', 'write', 'ddl'],
    lacks: ['read'],
    decision: 'allow',
    effect: 'untouched',
  },
  {
    name: 'COPY out of a DELETE',
    sql: 'COPY (DELETE FROM t RETURNING *) TO STDOUT',
    has: ['delete', 'copy_to'],
    decision: 'review',
  },
  // ON bounds a MERGE as WHERE bounds a DELETE; `ON true`, like `WHERE true`, counts as present.
  {
    name: 'MERGE that deletes',
    sql: 'MERGE INTO t USING (SELECT 1) s ON true WHEN MATCHED THEN DELETE',
    has: ['merge', 'delete'],
    decision: 'allow',
  },
  // The server does it
  {
    name: 'COPY FROM PROGRAM',
    sql: "COPY t FROM PROGRAM 'true'",
    has: ['copy_program'],
    decision: 'deny',
  },
  {
    name: 'server file read',
    sql: "SELECT pg_read_file('/etc/hostname')",
    has: ['admin'],
    lacks: ['read'],
    decision: 'deny',
  },
  {
    name: 'role switch through set_config',
    sql: "SELECT set_config('role', 'postgres', false)",
    has: ['admin'],
    decision: 'deny',
  },
  {
    name: 'backend signalling',
    sql: 'SELECT pg_cancel_backend(pg_backend_pid())',
    has: ['admin'],
    decision: 'deny',
  },
  // Roles and privileges
  {
    name: 'ALTER USER is ALTER ROLE',
    sql: 'ALTER USER gh_nobody SUPERUSER',
    has: ['alter_role'],
    decision: 'review',
  },
  {
    name: 'GRANT of a role',
    sql: 'GRANT pg_read_server_files TO gh_nobody',
    has: ['grant'],
    decision: 'review',
  },
  // Effect unknowable: treated as the strictest rule that applies
  {
    name: 'DO block with dynamic SQL',
    sql: "DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$",
    has: ['do', 'execute_dynamic', 'unclassifiable'],
    decision: 'deny',
  },
  {
    name: 'DO block hiding a drop in a string',
    sql: "DO $$ BEGIN EXECUTE 'DR' || 'OP TABLE t'; END $$",
    has: ['do', 'unclassifiable'],
    decision: 'deny',
  },
  {
    name: 'function with dynamic EXECUTE',
    sql: "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'TRUNCATE t'; END $$",
    has: ['function', 'execute_dynamic', 'unclassifiable'],
    decision: 'deny',
  },
  {
    name: 'dblink runs SQL given as text',
    sql: "SELECT dblink_exec('dbname=app', 'DROP TABLE t')",
    has: ['execute_dynamic', 'unclassifiable'],
    decision: 'deny',
  },
  { name: 'parse error', sql: 'DROP TABLE t WHERE', has: ['unclassifiable'], decision: 'deny' },
  {
    name: 'read-then-garbage',
    sql: 'SELECT 1; DROP TABLE t; SELEC',
    has: ['unclassifiable'],
    decision: 'deny',
    effect: 'untouched',
  },
  {
    name: 'string parsing switched off',
    sql: 'SET standard_conforming_strings = off',
    has: ['unclassifiable'],
    decision: 'deny',
  },
  {
    name: 'client encoding switched',
    sql: "SET client_encoding = 'SJIS'",
    has: ['unclassifiable'],
    decision: 'deny',
  },
];

let classifier: SqlClassifier;
beforeAll(async () => {
  classifier = await loadSqlClassifier();
});

function decide(classification: SqlClassification, text: string) {
  return policy.decide({
    connector,
    identity: agent,
    command: sqlCommand(text, classification, { database: 'app' }),
    now: Date.parse('2024-06-05T10:00:00Z'),
  });
}

describe('bypass corpus: classification and decision', () => {
  it.each(corpus)('$name', (entry) => {
    const classification = classifier.classify(entry.sql);
    for (const name of entry.has) expect(classification.classes).toContain(name);
    for (const name of entry.lacks ?? []) expect(classification.classes).not.toContain(name);
    expect(decide(classification, entry.sql).action).toBe(entry.decision);
  });

  it('PREPARE is harmless alone; EXECUTE is what it prepared', () => {
    const session = new PreparedStatements();
    const prepare = classifier.classify('PREPARE wipe AS DELETE FROM t', session);
    expect(decide(prepare, 'PREPARE').action).toBe('allow');
    session.apply(prepare);
    const execute = classifier.classify('EXECUTE wipe', session);
    expect(execute.classes).toContain('delete');
    expect(decide(execute, 'EXECUTE wipe').action).toBe('review');
    expect(decide(classifier.classify('EXPLAIN ANALYZE EXECUTE wipe', session), '').action).toBe(
      'review',
    );
    // A name this session never prepared is unknown, not harmless.
    expect(decide(classifier.classify('EXECUTE other'), 'EXECUTE other').action).toBe('deny');
  });
});

const postgresUp = await requirePostgres();

describe.skipIf(!postgresUp)('bypass corpus: what the server really does', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createDatabase('gh_bypass');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it.each(corpus.filter((e) => !e.has.includes('copy_program')))('$name', async (entry) => {
    await db.exec(
      'DROP TABLE IF EXISTS t, t_copy CASCADE; CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2), (3)',
    );
    const client = await db.connect();
    try {
      await client.query(entry.sql).catch(() => undefined);
    } finally {
      await client.end();
    }
    const { exists, count } = await observe(db);
    const classification = classifier.classify(entry.sql);
    // The safety property: a text classified as not writing must not have changed anything.
    if (!classification.unclassifiable && !classification.classes.includes('write')) {
      expect(exists, 'table t still exists').toBe(true);
      expect(count, 'table t still has its rows').toBe(3);
    }
    // And the corpus' own claims about the server hold, so the cases test what they say.
    if (entry.effect === 'dropped') expect(exists).toBe(false);
    if (entry.effect === 'emptied') expect(count).toBe(0);
    if (entry.effect === 'untouched') expect([exists, count]).toEqual([true, 3]);
  });
});

/** Whether table t still exists and how many rows it has. */
async function observe(db: TestDatabase): Promise<{ exists: boolean; count: number | null }> {
  const client = await db.connect();
  try {
    const { rows } = await client.query<{ exists: boolean }>(
      "SELECT to_regclass('t') IS NOT NULL AS exists",
    );
    if (!rows[0]!.exists) return { exists: false, count: null };
    const counted = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
    return { exists: true, count: counted.rows[0]!.n };
  } finally {
    await client.end();
  }
}
