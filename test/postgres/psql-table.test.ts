import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { NUMERIC_TYPE_OIDS } from '../../src/connectors/postgres/masking/result-capture.js';
import { formatPsqlTable } from '../../src/connectors/postgres/replay/psql-table.js';
import type { CapturedTable } from '../../src/core/command.js';
import { runProcess } from '../helpers/process.js';
import { libpqArgs, libpqEnv } from '../helpers/psql.js';
import { LOCAL_POSTGRES, requireCommands, requirePostgres } from '../helpers/services.js';

const ready = (await requirePostgres()) && requireCommands(['psql']);

const target = { ...LOCAL_POSTGRES, database: 'postgres' };

/** What a connector would capture: column names, values as text, which columns are numbers. */
async function capture(query: string): Promise<CapturedTable> {
  const client = new pg.Client({
    ...target,
    types: { getTypeParser: () => (value: string) => value },
  });
  await client.connect();
  try {
    const result = await client.query({ text: query, rowMode: 'array' });
    return {
      columns: result.fields.map((f) => f.name),
      rows: result.rows as Array<Array<string | null>>,
      truncated: false,
      numeric: result.fields.map((f) => NUMERIC_TYPE_OIDS.has(f.dataTypeID)),
    };
  } finally {
    await client.end();
  }
}

const QUERIES = [
  `select 1 as id, 'alice' as name, null::text as n union all select 22, 'bo', 'x'`,
  `select 'a' as x where false`,
  `select 'multi${'\n'}line' as x, 'ünï' as u, 1.5 as num`,
  `select 'a' as x, 'line1${'\n'}line2${'\n'}l3' as y, 'z' as z`,
  `select 'abc' as "long header name", 12345 as n, -1 as neg, 2.50::numeric(4,2) as price`,
  `select '日本' as j, 'x' as "名前"`,
  `select g as n, repeat('w', g) as word, g % 2 = 0 as even from generate_series(1, 12) g`,
  `select null::int as a, '' as b, '{"k": [1, 2]}'::jsonb as doc, 'a  ' as spaced`,
  `select 1 as a, 'last is numeric' as b, 3.25::float8 as c`,
  `select 'abc' as a, null::int as num union all select 'x', 12345`,
  `select 12345 as num, 'multi${'\n'}line' as b, 7 as c`,
  'select',
];

describe.skipIf(!ready)('replayed tables look exactly as psql showed them', () => {
  it.each(QUERIES)('%s', async (query) => {
    const shown = await runProcess('psql', [...libpqArgs(target), '-X', '-c', query], {
      env: libpqEnv(target),
    });
    expect(shown.stderr).toBe('');
    const captured = await capture(query);
    expect(formatPsqlTable(captured)).toBe(shown.stdout);
  });

  it('guesses numbers when the connector gave no types, and reports the real row count', async () => {
    const captured = await capture(`select 7 as n, 'x' as s`);
    const { numeric: _, ...untyped } = captured;
    const shown = await runProcess(
      'psql',
      [...libpqArgs(target), '-X', '-c', `select 7 as n, 'x' as s`],
      {
        env: libpqEnv(target),
      },
    );
    expect(formatPsqlTable(untyped)).toBe(shown.stdout);
    expect(formatPsqlTable(untyped, 1000)).toMatch(/\(1000 rows\)\n\n$/);
  });
});
