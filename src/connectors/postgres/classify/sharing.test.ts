import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadSqlClassifier,
  PreparedStatements,
  type SqlClassification,
  SqlClassifier,
} from './classifier.js';

let shared: SqlClassifier;
beforeAll(async () => {
  shared = await loadSqlClassifier();
});

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function randomSource(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const INTEGERS = ['0', '1', '2', '7', '007', '42', '2147483647', '2147483648', '99999999999'];
const DECIMALS = ['1.5', '.5', '5.', '0.001', '123456.789'];

/** Fills `{i}` (integer), `{d}` (decimal), `{n}` (any number) and `{b}` (0, 1 or 2). */
function instance(template: string, random: () => number): string {
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)]!;
  const any = () =>
    random() < 0.3
      ? pick(DECIMALS)
      : random() < 0.5
        ? pick(INTEGERS)
        : `${Math.floor(random() * 1e6)}`;
  return template
    .replaceAll('{i}', () => (random() < 0.5 ? pick(INTEGERS) : `${Math.floor(random() * 1e6)}`))
    .replaceAll('{d}', () => pick(DECIMALS))
    .replaceAll('{n}', any)
    .replaceAll('{b}', () => pick(['0', '1', '2']));
}

const TEMPLATES = [
  'SELECT abalance FROM pgbench_accounts WHERE aid = {i};',
  'UPDATE pgbench_accounts SET abalance = abalance + {n} WHERE aid = {i};',
  'UPDATE pgbench_tellers SET tbalance = tbalance + -{n}',
  'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ({i}, {i}, {i}, {n}, now());',
  'DELETE FROM t WHERE id IN ({i}, {n}) RETURNING *',
  'SELECT * FROM t1 JOIN s2.t3 ON t1.a = t3.b WHERE t1.x <> {n} AND t3.y != {d} ORDER BY 1 LIMIT {i} OFFSET {i}',
  'SELECT x::numeric(10, 2), y::varchar({i}) FROM t WHERE z = {n}::int',
  'WITH d AS (DELETE FROM t WHERE id < {i} RETURNING id) SELECT count(*) FROM d',
  'BEGIN; UPDATE a SET x = {n} WHERE id = {i}; INSERT INTO log VALUES ({i}); COMMIT',
  'SELECT pg_sleep({n}); SELECT pg_terminate_backend({i})',
  'SELECT set_config(name, setting, false) FROM t WHERE id = {i}',
  'FETCH {i} FROM c; MOVE {n} IN c',
  'SELECT * FROM t FETCH FIRST {i} ROWS ONLY',
  'EXPLAIN (ANALYZE {b}) DELETE FROM t WHERE id = {i}',
  'EXPLAIN (ANALYZE {b}, VERBOSE {b}) UPDATE t SET a = {n}',
  'EXPLAIN (VERBOSE {b}) DELETE FROM t',
  'EXPLAIN ANALYZE SELECT * FROM t LIMIT {i}',
  'SET work_mem = {n}; SET statement_timeout = {i}',
  'SET standard_conforming_strings = {b}',
  'SET client_encoding = {n}',
  'ALTER SYSTEM SET work_mem = {i}',
  'ALTER ROLE r SET statement_timeout = {i}',
  'VACUUM (PARALLEL {i}) t; ANALYZE t',
  'CREATE TABLE t1 (a varchar({i}), b numeric({i}, {i}) DEFAULT {n})',
  'PREPARE q{b} AS UPDATE t SET a = {n} WHERE id = $1; EXECUTE q{b}({i})',
  'PREPARE e AS EXPLAIN (ANALYZE {b}) DELETE FROM t',
  'EXECUTE p({i}, {n}); DEALLOCATE p',
  'SELECT {n} + $1 FROM t WHERE a[{i}:{i}] = $2',
  'LOCK TABLE t; SELECT {i}',
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT {i}; END',
];

function fresh(sql: string, session?: PreparedStatements): SqlClassification {
  return new SqlClassifier().classify(sql, session);
}

function session(): PreparedStatements {
  const prepared = new PreparedStatements();
  prepared.define('p', fresh('DELETE FROM t WHERE id = $1'));
  return prepared;
}

describe('classification shared between texts of one shape', () => {
  it('equals a fresh classification for every generated statement', () => {
    const random = randomSource(7);
    const texts = TEMPLATES.flatMap((template) =>
      Array.from({ length: 40 }, () => instance(template, random)),
    );
    // Interleave so shapes are first seen from different texts.
    texts.sort(() => random() - 0.5);
    for (const sql of texts) {
      expect({ sql, got: shared.classify(sql, session()) }).toEqual({
        sql,
        got: fresh(sql, session()),
      });
    }
  });

  it('answers a new value from the shared entry (the same frozen object)', () => {
    const first = shared.classify('SELECT abalance FROM pgbench_accounts WHERE aid = 11;');
    expect(shared.classify('SELECT abalance FROM pgbench_accounts WHERE aid = 98765;')).toBe(first);
    const update = shared.classify('UPDATE t SET a = 1.5 WHERE id = 3');
    expect(shared.classify('UPDATE t SET a = 2.25 WHERE id = 70')).toBe(update);
  });

  it('keeps int4 integers and other numbers apart, as the grammar does', () => {
    const small = shared.classify('FETCH 5 FROM c');
    expect(small.classes).toEqual(['read']);
    expect(shared.classify('FETCH 99999999999 FROM c').unclassifiable).toBe(true);
    expect(shared.classify('FETCH 2147483647 FROM c')).toBe(small);
  });

  it('resolves a shared EXECUTE against each session', () => {
    const deleting = session();
    const reading = new PreparedStatements();
    reading.define('p', fresh('SELECT 1'));
    expect(shared.classify('EXECUTE p(1)', deleting).classes).toContain('delete');
    expect(shared.classify('EXECUTE p(2)', reading).classes).toEqual(['execute', 'read']);
    expect(shared.classify('EXECUTE p(3)').unclassifiable).toBe(true);
  });
});

describe('classification that depends on a constant', () => {
  it('is not shared between EXPLAIN (ANALYZE 0) and (ANALYZE 1)', () => {
    const plain = shared.classify('EXPLAIN (ANALYZE 0) DELETE FROM t');
    const analyzed = shared.classify('EXPLAIN (ANALYZE 1) DELETE FROM t');
    expect(plain.classes).not.toContain('delete');
    expect(analyzed.classes).toContain('delete');
    expect(analyzed.whereAbsent).toBe(true);
    expect(shared.classify('EXPLAIN (ANALYZE 0) DELETE FROM t')).toBe(plain);
    expect(shared.classify('EXPLAIN (ANALYZE 00) DELETE FROM t').classes).not.toContain('delete');
    expect(shared.classify('EXPLAIN (ANALYZE 7) DELETE FROM t').classes).toContain('delete');
  });

  it('is not shared through a prepared statement that reads a constant', () => {
    // PREPARE takes no EXPLAIN or SET; set_config() is what a prepared statement can read.
    const one = shared.classify('PREPARE x AS SELECT set_config(a, b, false) FROM t WHERE id = 1');
    const two = shared.classify('PREPARE x AS SELECT set_config(a, b, false) FROM t WHERE id = 2');
    expect(one.prepare?.[0]?.classification.classes).toContain('set');
    expect(two).not.toBe(one);
    const plain = shared.classify('PREPARE y AS DELETE FROM t WHERE id = 1');
    expect(shared.classify('PREPARE y AS DELETE FROM t WHERE id = 2')).toBe(plain);
  });

  it('is not shared between values of a setting', () => {
    const safe = shared.classify('SET standard_conforming_strings = 1');
    expect(safe.unclassifiable).toBe(false);
    expect(shared.classify('SET standard_conforming_strings = 0').unclassifiable).toBe(true);
    const a = shared.classify('SET work_mem = 64');
    expect(shared.classify('SET work_mem = 128')).not.toBe(a);
    const timeout = shared.classify('SET statement_timeout = 0');
    expect(shared.classify('SET statement_timeout = 5000')).not.toBe(timeout);
    const config = shared.classify('SELECT set_config(a, b, false) FROM t WHERE id = 1');
    expect(shared.classify('SELECT set_config(a, b, false) FROM t WHERE id = 2')).not.toBe(config);
  });

  it('keeps a text that does not parse out of its shape', () => {
    expect(shared.classify('SELECT x::float(0)').unclassifiable).toBe(true);
    expect(shared.classify('SELECT x::float(5)').unclassifiable).toBe(false);
    expect(shared.classify('SELECT x::float(0)').unclassifiable).toBe(true);
  });
});

describe('text the parser would cut short', () => {
  it('is unclassifiable when it holds a NUL', () => {
    expect(shared.classify('SELECT 1\u0000; DROP TABLE t').unclassifiable).toBe(true);
  });
});

describe('cache bounds with shapes', () => {
  it('splits entries between texts and shapes without growing past them', () => {
    const small = new SqlClassifier({ cacheEntries: 8, cacheChars: 10_000 });
    for (let i = 0; i < 1000; i++) {
      small.classify(`SELECT c${i} FROM t WHERE id = ${i}`); // a new shape each time
      small.classify(`SELECT 'x${i}'`); // no shape
      expect(small.cacheSize.texts).toBeLessThanOrEqual(6);
      expect(small.cacheSize.shapes).toBeLessThanOrEqual(2);
    }
    const first = small.classify('SELECT c999 FROM t WHERE id = 1');
    expect(small.classify('SELECT c999 FROM t WHERE id = 2')).toBe(first);
  });
});
