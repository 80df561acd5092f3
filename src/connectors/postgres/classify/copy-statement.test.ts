import { loadModule } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyColumns, copyColumnsQuery, copyOutStatement } from './copy-statement.js';

beforeAll(async () => {
  await loadModule();
});

describe('copyOutStatement', () => {
  it('reads the table, the column list and the text defaults', () => {
    expect(copyOutStatement('COPY customers TO STDOUT')).toEqual({
      relation: '"customers"',
      columns: undefined,
      format: { csv: false, delimiter: '\t', null: '\\N', quote: '"', escape: '"' },
      header: false,
      forceQuote: false,
    });
    expect(copyOutStatement('copy "Sales"."Client List" (b, "A") to stdout')).toMatchObject({
      relation: '"Sales"."Client List"',
      columns: ['b', 'A'],
    });
    expect(copyOutStatement('COPY "we""ird" TO STDOUT; SELECT 1')?.relation).toBe('"we""ird"');
  });

  it('reads the options in either syntax', () => {
    expect(copyOutStatement('COPY t TO STDOUT CSV HEADER')).toMatchObject({
      format: { csv: true, delimiter: ',', null: '', quote: '"', escape: '"' },
      header: true,
    });
    expect(
      copyOutStatement(
        `COPY t TO STDOUT WITH (FORMAT csv, HEADER 1, DELIMITER ';', NULL 'x', QUOTE '''', ESCAPE '\\', FORCE_QUOTE *)`,
      ),
    ).toMatchObject({
      format: { csv: true, delimiter: ';', null: 'x', quote: "'", escape: '\\' },
      header: true,
    });
    expect(copyOutStatement(`COPY t TO STDOUT (FORMAT csv, QUOTE '''')`)?.format.escape).toBe("'");
    expect(copyOutStatement(`COPY t TO STDOUT (HEADER false)`)?.header).toBe(false);
    expect(copyOutStatement(`COPY t TO STDOUT (HEADER 0)`)?.header).toBe(false);
    expect(copyOutStatement(`COPY t TO STDOUT (HEADER on, FORMAT text)`)?.header).toBe(true);
    expect(copyOutStatement(`COPY t TO STDOUT DELIMITER '|' NULL ''`)?.format).toMatchObject({
      delimiter: '|',
      null: '',
    });
  });

  it('leaves out what it cannot resolve: the lines are then redacted whole', () => {
    for (const sql of [
      'COPY (SELECT * FROM t) TO STDOUT',
      'COPY t TO STDOUT (FORMAT binary)',
      'COPY BINARY t TO STDOUT',
      'COPY t FROM STDIN',
      "COPY t TO '/tmp/x'",
      "COPY t TO PROGRAM 'cat'",
      'COPY db.s.t TO STDOUT',
      `COPY t TO STDOUT (ENCODING 'LATIN1')`,
      `COPY t TO STDOUT (HEADER match)`,
      `COPY t TO STDOUT (HEADER 2)`,
      `COPY t TO STDOUT (DELIMITER ';', DELIMITER ',')`,
      `COPY t TO STDOUT (DELIMITER 'é')`,
      'SELECT 1; COPY t TO STDOUT',
      'COPY t TO STDOUT (',
    ]) {
      expect(copyOutStatement(sql), sql).toBeUndefined();
    }
  });
});

describe('copyColumns', () => {
  const rows = [
    { schema: 'public', table: 'c', column: 'id', generated: false },
    { schema: 'public', table: 'c', column: 'Email', generated: false },
    { schema: 'public', table: 'c', column: 'g', generated: true },
  ];
  it('lists every copied column, or the listed ones in list order', () => {
    const all = copyOutStatement('COPY c TO STDOUT')!;
    expect(copyColumns(all, rows)).toEqual([
      { table: 'public.c', column: 'id' },
      { table: 'public.c', column: 'Email' },
    ]);
    const listed = copyOutStatement('COPY c ("Email", g, id) TO STDOUT')!;
    expect(copyColumns(listed, rows)?.map((c) => c.column)).toEqual(['Email', 'g', 'id']);
    expect(copyColumns(copyOutStatement('COPY c (email) TO STDOUT')!, rows)).toBeUndefined();
    expect(copyColumns(all, [])).toBeUndefined();
  });

  it('names the table as hex, with every function and operator qualified', () => {
    const sql = copyColumnsQuery(`"it's"."\\x"`);
    expect(sql).toContain(Buffer.from(`"it's"."\\x"`).toString('hex'));
    expect(sql).not.toContain("it's");
    expect(sql).not.toMatch(/[^)] = /);
  });
});
