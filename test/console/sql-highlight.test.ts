import { describe, expect, it } from 'vitest';
import { classRisk, splitStatements, tokenize } from '../../web/src/sql-highlight.js';

/** The console's display-only marking of risky statements (web/src/sql-highlight.ts). */
describe('console SQL highlighting', () => {
  const marks = (sql: string) => splitStatements(sql).map((s) => [s.risk, s.label]);

  it('keeps the text exactly', () => {
    const sql = 'select \'a;b\', $tag$ drop ; $tag$, "x;" /* c /* nested */ ; */ -- ;\nfrom t;';
    expect(
      tokenize(sql)
        .map((t) => t.text)
        .join(''),
    ).toBe(sql);
    expect(splitStatements(sql)).toHaveLength(1);
  });

  it('marks destructive statements and unbounded writes, not reads', () => {
    expect(marks('SELECT 1; drop table t; TRUNCATE x;')).toEqual([
      [undefined, undefined],
      ['danger', 'DROP TABLE'],
      ['danger', 'TRUNCATE'],
    ]);
    expect(marks('delete from t; DELETE FROM t WHERE id = 1')).toEqual([
      ['danger', 'DELETE without WHERE'],
      ['caution', 'DELETE'],
    ]);
    expect(marks("update t set a = 'where'")).toEqual([['danger', 'UPDATE without WHERE']]);
    expect(marks('with x as (select 1) delete from t')).toEqual([
      ['danger', 'DELETE without WHERE'],
    ]);
    expect(marks('grant all on t to u; alter role u superuser; copy t to program $$rm$$')).toEqual([
      ['danger', 'GRANT'],
      ['danger', 'ALTER ROLE'],
      ['danger', 'COPY … PROGRAM'],
    ]);
    expect(marks('/* drop table t; */ select 1')).toEqual([[undefined, undefined]]);
    expect(marks("DO $$ begin execute 'drop table t'; end $$")).toEqual([
      ['caution', 'DO (dynamic)'],
    ]);
  });

  it('ranks the parser’s classes', () => {
    expect(classRisk('drop_table')).toBe('danger');
    expect(classRisk('delete', true)).toBe('danger');
    expect(classRisk('delete', false)).toBe('caution');
    expect(classRisk('update')).toBe('caution');
    expect(classRisk('write')).toBe('caution');
    expect(classRisk('read')).toBeUndefined();
  });
});
