/**
 * A column named in a rule: `column`, `table.column` or `schema.table.column`, compared
 * case-insensitively (many protocols fold unquoted names to lower case; matching more widely
 * masks more, never less).
 */
export interface ColumnSpec {
  readonly schema?: string;
  readonly table?: string;
  readonly column: string;
}

const PART = /^[^.\s]+$/;

/** Parses `[schema.][table.]column`; undefined when it is not of that shape. */
export function parseColumnSpec(text: string): ColumnSpec | undefined {
  const parts = text.split('.');
  if (parts.length > 3 || !parts.every((part) => PART.test(part))) return undefined;
  const [column, table, schema] = parts.reverse().map((part) => part.toLowerCase());
  return { column: column!, ...(table && { table }), ...(schema && { schema }) };
}

/** `schema.table` or `table` as the connector resolved it. */
export function splitTable(table: string): { schema?: string; name: string } {
  const lower = table.toLowerCase();
  const dot = lower.lastIndexOf('.');
  return dot === -1 ? { name: lower } : { schema: lower.slice(0, dot), name: lower.slice(dot + 1) };
}

/**
 * Whether a spec names this table. An unknown table (a computed column, or a connector that
 * could not resolve it) matches: only the column name can be compared, and masking a value too
 * many is the safe side. An unknown schema matches any schema in the spec likewise.
 */
export function specCoversTable(spec: ColumnSpec, table: string | undefined): boolean {
  if (spec.table === undefined || table === undefined) return true;
  const resolved = splitTable(table);
  if (resolved.name !== spec.table) return false;
  return (
    spec.schema === undefined || resolved.schema === undefined || resolved.schema === spec.schema
  );
}

/** Whether a spec names this column of this table. */
export function specMatches(spec: ColumnSpec, table: string | undefined, column: string): boolean {
  return spec.column === column.toLowerCase() && specCoversTable(spec, table);
}
