import { loadModule, scanSync } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { INTEGER_PLACEHOLDER, NUMERIC_PLACEHOLDER, sqlShape } from './shape.js';

/** The shape with readable placeholders. */
function shown(sql: string): string | undefined {
  return sqlShape(sql)
    ?.replaceAll(INTEGER_PLACEHOLDER, '<i>')
    .replaceAll(NUMERIC_PLACEHOLDER, '<n>');
}

describe('sqlShape', () => {
  it('replaces numeric literals and nothing else', () => {
    expect(shown('SELECT abalance FROM pgbench_accounts WHERE aid = 48213;')).toBe(
      'SELECT abalance FROM pgbench_accounts WHERE aid = <i>;',
    );
    expect(shown('SELECT * FROM t LIMIT 10 OFFSET 20')).toBe(
      'SELECT * FROM t LIMIT <i> OFFSET <i>',
    );
    expect(shown('SELECT x FROM t WHERE a <> 1 AND b != 2 AND c::int >= 3')).toBe(
      'SELECT x FROM t WHERE a <> <i> AND b != <i> AND c::int >= <i>',
    );
    expect(shown('SELECT a[1:2], 3::int FROM t')).toBe('SELECT a[<i>:<i>], <i>::int FROM t');
    expect(shown('UPDATE t SET x=x+1,y=-5 WHERE id=$1')).toBe(
      'UPDATE t SET x=x+<i>,y=-<i> WHERE id=$1',
    );
    expect(shown('SELECT 1;\n\tSELECT 2\r\n')).toBe('SELECT <i>;\n\tSELECT <i>\r\n');
  });

  it('reads decimals and int4 overflow as numeric, like PostgreSQL', () => {
    expect(shown('SELECT 1.5, .5, 1., 0.001, 007')).toBe('SELECT <n>, <n>, <n>, <n>, <i>');
    expect(shown('SELECT 2147483647, 2147483648, 00000000002147483647')).toBe(
      'SELECT <i>, <n>, <i>',
    );
    expect(shown('SELECT 99999999999, -5, - 5, +5')).toBe('SELECT <n>, -<i>, - <i>, +<i>');
  });

  it('leaves digits inside identifiers, schema-qualified names and parameters alone', () => {
    const sql = 'SELECT t1.c2, s2.t3.c_4 FROM s2.t3 JOIN t1 ON t1.id = $12';
    expect(sqlShape(sql)).toBe(sql);
    expect(shown('SELECT col_1 FROM t1 WHERE col_1 = 1')).toBe(
      'SELECT col_1 FROM t1 WHERE col_1 = <i>',
    );
  });

  it('gives texts that differ only in numbers one shape', () => {
    expect(sqlShape('SELECT * FROM t WHERE id = 1')).toBe(
      sqlShape('SELECT * FROM t WHERE id = 99'),
    );
    expect(sqlShape('SELECT * FROM t WHERE id = 1')).not.toBe(
      sqlShape('SELECT * FROM t WHERE id = 1.0'),
    );
    expect(sqlShape('SELECT -1')).not.toBe(sqlShape('SELECT 1'));
    expect(sqlShape('SELECT t1')).not.toBe(sqlShape('SELECT t2'));
  });

  it.each([
    ["SELECT 'a'"],
    ['SELECT "T1" FROM t'],
    ['SELECT `x`'],
    ["SELECT E'\\n'"],
    ['SELECT U&"d0061t"'],
    ["SELECT B'101', X'1F'"],
    ['SELECT $$ x $$'],
    ['SELECT $tag$ x $tag$'],
    ['SELECT $'],
    ['SELECT $1a'],
    ['SELECT $1.5'],
    ['SELECT $1$'],
    ['SELECT $2147483648'],
    ['SELECT $100000'],
    ['SELECT a$1 FROM t'],
    ['SELECT 1 \\g'],
    ['SELECT 1 -- comment'],
    ['SELECT 5--3'],
    ['SELECT 1 /* c */'],
    ['SELECT 1/*c*/'],
    ['SELECT ü'],
    ['SELECT 1\u00a0'],
    ['SELECT 1\u0000; DROP TABLE t'],
    ['SELECT 1\f'],
    ['SELECT 1e5'],
    ['SELECT 1e-3'],
    ['SELECT 1.e5'],
    ['SELECT 0x1F'],
    ['SELECT 0o17'],
    ['SELECT 0b101'],
    ['SELECT 1_000'],
    ['SELECT 1.2.3'],
    ['SELECT 1..2'],
    ['SELECT a..b'],
    ['SELECT 1a'],
    ['SELECT 5.a'],
    ['SELECT {1}'],
    [`SELECT ${INTEGER_PLACEHOLDER}`],
  ])('declines %j', (sql) => {
    expect(sqlShape(sql)).toBeUndefined();
  });

  it('costs a few µs at most for a typical statement', () => {
    const texts = Array.from(
      { length: 20_000 },
      (_, i) => `UPDATE pgbench_accounts SET abalance = abalance + ${i % 5000} WHERE aid = ${i};`,
    );
    for (const sql of texts) sqlShape(sql);
    const start = performance.now();
    for (const sql of texts) sqlShape(sql);
    expect(((performance.now() - start) * 1000) / texts.length).toBeLessThan(5);
  });
});

describe('sqlShape against PostgreSQL’s own scanner', () => {
  beforeAll(async () => {
    await loadModule();
  });

  /** The shape PostgreSQL's scanner implies: its ICONST and FCONST tokens replaced. */
  function scannerShape(sql: string): string {
    let shape = '';
    let copied = 0;
    for (const token of scanSync(sql).tokens) {
      if (token.tokenName !== 'ICONST' && token.tokenName !== 'FCONST') continue;
      shape += sql.slice(copied, token.start);
      shape += token.tokenName === 'ICONST' ? INTEGER_PLACEHOLDER : NUMERIC_PLACEHOLDER;
      copied = token.end;
    }
    return shape + sql.slice(copied);
  }

  it('agrees on every random text it accepts', () => {
    const pieces = [
      ...['a', 't1', 'e', 'x', '_', 'SELECT', ' ', ' ', '\n', '(', ')', ',', ';', ':', '::'],
      ...['.', '-', '+', '*', '/', '<', '>', '=', '!', '[', ']', '%', '^', '|', '&', '~', '#'],
      ...['0', '1', '5', '007', '1.5', '.5', '2147483647', '2147483648', '99999999999'],
      ...['$1', '$', "'", '"', '\\', 'ü'],
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let accepted = 0;
    let withNumbers = 0;
    for (let n = 0; n < 20_000; n++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => {
        return pieces[Math.floor(random() * pieces.length)]!;
      });
      const sql = parts.join('');
      const shape = sqlShape(sql);
      if (shape === undefined) continue;
      accepted++;
      if (shape !== sql) withNumbers++;
      let scanned: string;
      try {
        scanned = scannerShape(sql);
      } catch (error) {
        scanned = `scanner refused: ${(error as Error).message}`;
      }
      expect({ sql, shape: scanned }).toEqual({ sql, shape });
    }
    // The generator must exercise the accepting path, numbers included.
    expect(accepted).toBeGreaterThan(3_000);
    expect(withNumbers).toBeGreaterThan(1_000);
  });
});
