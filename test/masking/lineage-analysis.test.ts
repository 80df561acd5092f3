import { loadModule } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoadedCatalog } from '../../src/connectors/postgres/masking/catalog.js';
import { maskJsonKeys } from '../../src/connectors/postgres/masking/json-keys.js';
import {
  type CatalogFunction,
  type CatalogRelation,
  type Lineage,
  LineageAnalyzer,
  type LineageCatalog,
} from '../../src/connectors/postgres/masking/lineage.js';
import {
  REDACT_WHOLE,
  SessionLineage,
} from '../../src/connectors/postgres/masking/lineage-mask.js';
import { maskRecordFields } from '../../src/connectors/postgres/masking/record-fields.js';
import { compileMasking } from '../../src/masking/compile.js';

const RELATIONS: CatalogRelation[] = [
  { oid: 1, table: 'public.users', kind: 'r', columns: ['id', 'email', 'ssn'] },
  {
    oid: 2,
    table: 'public.v',
    kind: 'v',
    columns: ['id', 's'],
    definition: 'SELECT users.id, upper(users.ssn) AS s FROM users',
  },
];
const FUNCTIONS: Record<string, CatalogFunction> = {
  f: { oid: 10, language: 'sql', body: 'select ssn from users where id = $1' },
  p: { oid: 11, language: 'plpgsql', body: 'begin return 1; end' },
};
const catalog: LineageCatalog = {
  relations: (schema, name) => RELATIONS.filter((r) => r.table === `${schema ?? 'public'}.${name}`),
  functions: (_schema, name) => (FUNCTIONS[name] ? [FUNCTIONS[name]] : []),
  isBuiltin: (name) => ['upper', 'row_to_json', 'count', 'coalesce'].includes(name),
};

const SSN = { table: 'public.users', column: 'ssn' };

function columns(sql: string): Lineage[] {
  const [result] = new LineageAnalyzer(catalog).analyse(sql)!;
  if (result?.kind !== 'rows') throw new Error(`no rows: ${sql}`);
  return [...result.columns];
}

describe('lineage analysis', () => {
  beforeAll(async () => {
    await loadModule();
  });

  it('keeps a column unchanged through aliases, subqueries, CTEs and unions', () => {
    for (const sql of [
      'select ssn from users',
      'select u.ssn as x from users u',
      'select x from (select ssn x from users) s',
      'with c as (select ssn from users) select ssn from c',
      `select ssn from users union select ssn from users`,
      'select ssn::text from users',
    ]) {
      expect(columns(sql), sql).toEqual([{ direct: [SSN] }]);
    }
  });

  it('derives computed values, whole rows and views', () => {
    expect(columns('select upper(ssn) from users')).toEqual([{ derived: [SSN] }]);
    expect(columns('select s from v')).toEqual([{ derived: [SSN] }]);
    expect(columns('select (select ssn from users limit 1) || 1')).toEqual([{ derived: [SSN] }]);
    expect(columns('select f(1)')).toEqual([{ derived: [SSN] }]);
    expect(columns('select p(1)')).toEqual([{ opaque: true }]);
    expect(columns('select unknown_fn(1)')).toEqual([{ opaque: true }]);
    expect(columns('select upper(x) from unknown_table')).toEqual([{ opaque: true }]);
    expect(columns('select count(*) from users where ssn = $1')).toEqual([{}]);
    const [json] = columns('select row_to_json(u) from users u');
    expect([...json!.keys!.keys()]).toEqual(['id', 'email', 'ssn']);
    expect(json!.keys!.get('ssn')).toEqual({ direct: [SSN] });
  });

  it('follows a recursive CTE until its columns stop changing', () => {
    // Each round moves the SSN one column further: it reaches `a` only in the third round.
    const [a] = columns(`with recursive r(a, b, c, n) as (select 1, 2, ssn, 0 from users
      union all select b, c, a, n + 1 from r where n < 5) select a from r`);
    expect(a).toEqual({ direct: [SSN] });
  });

  it('tells which statements return rows', () => {
    const results = new LineageAnalyzer(catalog).analyse(
      'set x = 1; select 1; execute p; fetch 1 from c',
    );
    expect(results!.map((r) => r.kind)).toEqual(['none', 'rows', 'maybe', 'maybe']);
  });
});

describe('SessionLineage', () => {
  it('skips statements that reach no masked column, and fails closed when the analysis throws', async () => {
    await loadModule();
    const catalog = new LoadedCatalog();
    catalog.addRelation('public', RELATIONS[0]!);
    catalog.addRelation('public', {
      oid: 3,
      table: 'public.accounts',
      kind: 'r',
      columns: ['aid'],
    });
    catalog.addFunction('pg_catalog', 'upper', { oid: 4, language: 'internal', body: '' }, true);
    const masker = compileMasking([{ columns: ['users.ssn'], strategy: 'redact' }]).forIdentity(
      [],
    ).plan;
    const lineage = new SessionLineage(masker, () => catalog);
    expect(lineage.forQuery('select aid from accounts where aid = 1')).toBeUndefined();
    const [upper] = lineage.forQuery('select upper(ssn), id from users where id = 7')!;
    expect(upper).toMatchObject({ kind: 'rows', exact: true, masks: [REDACT_WHOLE, undefined] });
    // Same shape (numbers differ): answered from the cache.
    expect(lineage.forQuery('select upper(ssn), id from users where id = 8')).toEqual([upper]);
    catalog.relations = () => {
      throw new Error('unexpected');
    };
    expect(lineage.forQuery('select upper(ssn) from users')).toEqual([{ kind: 'maybe' }]);
  });
});

describe('maskRecordFields', () => {
  const keep = (v: string) => `*${v.slice(-2)}`;
  it('masks fields by position as record_out writes them', () => {
    const redact = () => '[redacted]';
    expect(maskRecordFields('(1,ann@x.io,123-45-6789)', [undefined, redact, keep])).toBe(
      '(1,"[redacted]","*89")',
    );
    expect(maskRecordFields('(1,"a,""b",)', [undefined, keep, keep])).toBe('(1,"*""b",)');
    expect(maskRecordFields('(1,2)', [undefined])).toBeUndefined();
    expect(maskRecordFields('1,2', [undefined, undefined])).toBeUndefined();
  });
});

describe('maskJsonKeys', () => {
  const keys = new Map([['ssn', (v: string) => `*${v.slice(-2)}`]]);
  it('masks a key at any depth and keeps every other byte', () => {
    expect(maskJsonKeys('{"id": 12345678901234567890, "ssn": "123"}', keys)).toBe(
      '{"id": 12345678901234567890, "ssn": "*23"}',
    );
    expect(maskJsonKeys('[{"a":{"ssn":"9\\"8"}},{"ssn":null}]', keys)).toBe(
      '[{"a":{"ssn":"*\\"8"}},{"ssn":null}]',
    );
    expect(maskJsonKeys('{"ssn": 12345}', keys)).toBe('{"ssn": "*45"}');
    expect(maskJsonKeys('{"x": 1', keys)).toBeUndefined();
  });
});
