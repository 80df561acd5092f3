import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SQL_STATEMENT_CLASSES, unclassifiableReason } from './classes.js';
import { loadSqlClassifier } from './classifier.js';

describe('SQL statement classes', () => {
  it('are each documented in docs/policy.md', () => {
    const doc = readFileSync(new URL('../../../../docs/policy.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|/gm)].map((m) => m[1]));
    const missing = Object.keys(SQL_STATEMENT_CLASSES).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });
});

describe('unclassifiableReason', () => {
  it('says why in the words a refusal uses', async () => {
    const classifier = await loadSqlClassifier();
    const why = (sql: string) => unclassifiableReason(classifier.classify(sql));
    expect(why('select 1')).toBeUndefined();
    expect(why('selec 1')).toBe('text the PostgreSQL parser rejects');
    expect(
      why(
        "create function f() returns void language plpgsql as $$ begin execute 'select 1'; end $$",
      ),
    ).toBe('function body with dynamic SQL');
    expect(why('create function g() returns int language sql as $$ select 1 $$')).toBe(
      'function body',
    );
    expect(why("do $$ begin execute 'drop table t'; end $$")).toBe('DO block with dynamic SQL');
    expect(why("select dblink_exec('x', 'drop table t')")).toMatch(/^dynamic SQL/);
    expect(why('set standard_conforming_strings = off')).toMatch(/changes how the server reads/);
    expect(why('execute never_prepared')).toMatch(/^EXECUTE of a prepared statement/);
  });
});
