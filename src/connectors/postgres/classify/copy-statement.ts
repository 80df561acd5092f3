/**
 * Which table and columns a `COPY table [(columns)] TO STDOUT` sends, so column masking rules
 * can be applied to its lines (docs/masking.md). The statement is read with the PostgreSQL
 * parser; the table is resolved by the target itself, in the client's session, just before the
 * COPY runs (`to_regclass`: the session's search_path, its temporary tables, its transaction).
 */
import { parseSync } from 'libpg-query';
import { type CopyTextFormat, copyTextFormat } from '../protocol/copy-text.js';
import type { AstObject } from './walk.js';

/** A COPY of a table to the client in text or CSV format. */
export interface CopyOutStatement {
  /** The name as written, each part double-quoted (what `to_regclass` reads). */
  relation: string;
  /** The column list, or undefined for every column. */
  columns: string[] | undefined;
  format: CopyTextFormat;
  /** The first line is the column names. */
  header: boolean;
  /**
   * FORCE_QUOTE was given: a quoted field keeps its quotes when masked. Otherwise a masked
   * value is quoted only if it needs it (quotes would tell the original needed them).
   */
  forceQuote: boolean;
}

/** A column of the COPY's output, as the column rules name it. */
export interface CopyColumn {
  /** `schema.table`. */
  table: string;
  column: string;
}

/**
 * A COPY the gateway is resolving: `columns` is set once the target answered, in output order;
 * left undefined (the lines are redacted whole) when the answer was an error or did not fit.
 */
export interface CopyOut {
  readonly statement: CopyOutStatement;
  columns?: CopyColumn[];
}

/**
 * The first statement of `sql` when it is a COPY of a table to STDOUT in text or CSV format
 * with options this module understands; otherwise undefined (a query, binary format, a
 * database-qualified name, an option it does not know: the lines are redacted whole).
 */
export function copyOutStatement(sql: string): CopyOutStatement | undefined {
  let tree: { stmts?: Array<{ stmt?: AstObject }> };
  try {
    tree = parseSync(sql) as typeof tree;
  } catch {
    return undefined;
  }
  const copy = tree.stmts?.[0]?.stmt?.['CopyStmt'] as AstObject | undefined;
  if (!copy || copy['is_from'] || copy['is_program'] || copy['filename'] !== undefined) {
    return undefined;
  }
  const relation = copy['relation'] as AstObject | undefined;
  if (!relation || relation['catalogname'] !== undefined) return undefined;
  const parts = [relation['schemaname'], relation['relname']].filter(
    (part): part is string => typeof part === 'string',
  );
  const columns = copy['attlist'] === undefined ? undefined : stringList(copy['attlist']);
  if (columns === null) return undefined;
  const options = readOptions((copy['options'] as Array<{ DefElem?: AstObject }>) ?? []);
  if (!options) return undefined;
  return { relation: parts.map(quoteIdent).join('.'), columns, ...options };
}

/** `a, b` as the parser gives them; null when something else is in the list. */
function stringList(list: unknown): string[] | null {
  if (!Array.isArray(list)) return null;
  const names: string[] = [];
  for (const item of list as Array<{ String?: { sval?: string } }>) {
    const name = item.String?.sval;
    if (typeof name !== 'string') return null;
    names.push(name);
  }
  return names;
}

const TEXT_OPTIONS = new Set(['format', 'delimiter', 'null', 'header', 'quote', 'escape']);

function readOptions(
  items: Array<{ DefElem?: AstObject }>,
): Pick<CopyOutStatement, 'format' | 'header' | 'forceQuote'> | undefined {
  const given = new Map<string, AstObject>();
  for (const item of items) {
    const option = item.DefElem;
    const name = option?.['defname'];
    // The server refuses an option given twice; FORCE_QUOTE only adds quotes.
    if (typeof name !== 'string' || given.has(name)) return undefined;
    if (name !== 'force_quote' && !TEXT_OPTIONS.has(name)) return undefined;
    given.set(name, option!);
  }
  const format = optionString(given.get('format'));
  if (format !== undefined && format !== 'text' && format !== 'csv') return undefined;
  const result = copyTextFormat(format === 'csv');
  for (const name of ['delimiter', 'null', 'quote', 'escape'] as const) {
    const option = given.get(name);
    if (!option) continue;
    const value = optionString(option);
    if (value === undefined) return undefined;
    result[name] = value;
  }
  if (!given.has('escape')) result.escape = result.quote;
  for (const name of ['delimiter', 'quote', 'escape'] as const) {
    // The server takes only a one-byte character (and refuses the statement otherwise).
    if (Buffer.byteLength(result[name]) !== 1) return undefined;
  }
  const header = given.has('header') ? headerOption(given.get('header')!) : false;
  if (header === undefined) return undefined;
  return { format: result, header, forceQuote: given.has('force_quote') };
}

function optionString(option: AstObject | undefined): string | undefined {
  const arg = option?.['arg'] as { String?: { sval?: string } } | undefined;
  return arg?.String?.sval;
}

/** `HEADER`, `HEADER true|false|on|off|1|0`; undefined for anything else (e.g. MATCH). */
function headerOption(option: AstObject): boolean | undefined {
  const arg = option['arg'] as
    | { Boolean?: { boolval?: boolean }; Integer?: { ival?: number }; String?: { sval?: string } }
    | undefined;
  if (arg === undefined) return true;
  if (arg.Boolean) return arg.Boolean.boolval === true;
  if (arg.Integer) {
    const value = arg.Integer.ival ?? 0;
    return value === 0 || value === 1 ? value === 1 : undefined;
  }
  const word = arg.String?.sval?.toLowerCase();
  if (word === 'true' || word === 'on') return true;
  if (word === 'false' || word === 'off') return false;
  return undefined;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The gateway's query for the columns of `relation` as the session sees it right now. Every
 * name is schema-qualified and the text is passed as hex, so neither the session's search_path
 * (a function or operator of the user's) nor its string settings can change the answer.
 */
export function copyColumnsQuery(relation: string): string {
  const hex = Buffer.from(relation, 'utf8').toString('hex');
  const eq = 'OPERATOR(pg_catalog.=)';
  return `SELECT n.nspname, c.relname, a.attname, a.attgenerated OPERATOR(pg_catalog.<>) '' AS generated
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid ${eq} c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid ${eq} c.oid
  WHERE c.oid ${eq} pg_catalog.to_regclass(pg_catalog.convert_from(pg_catalog.decode('${hex}', 'hex'), 'UTF8'))
    AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
  ORDER BY a.attnum`;
}

/** One row of `copyColumnsQuery`'s answer. */
export interface CopyColumnRow {
  schema: string;
  table: string;
  column: string;
  generated: boolean;
}

/**
 * The COPY's output columns from the rows of `copyColumnsQuery` (in column number order): the
 * listed ones in list order, or every column the server copies without a list (generated
 * columns are left out). Undefined when a listed column is not there.
 */
export function copyColumns(
  statement: CopyOutStatement,
  rows: readonly CopyColumnRow[],
): CopyColumn[] | undefined {
  if (rows.length === 0) return undefined;
  const table = `${rows[0]!.schema}.${rows[0]!.table}`;
  if (!statement.columns) {
    return rows.filter((row) => !row.generated).map((row) => ({ table, column: row.column }));
  }
  const columns: CopyColumn[] = [];
  for (const name of statement.columns) {
    if (!rows.some((row) => row.column === name)) return undefined;
    columns.push({ table, column: name });
  }
  return columns;
}
