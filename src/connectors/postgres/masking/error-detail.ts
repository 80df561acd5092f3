import { REDACTED, type SessionMasker } from '../../../masking/index.js';

/** What `maskErrorDetail` needs from a session's masker. */
export type DetailMasking = Pick<
  SessionMasker,
  'active' | 'columnMasker' | 'coversTable' | 'maskText'
>;

const KEY_START = 'Key (';
const KEY_SEP = ')=(';
const FAILING_ROW = 'Failing row contains (';
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_$]*/g;
/** Endings Postgres gives key details (unique and foreign key violations). */
const KEY_SUFFIX =
  /\) (?:already exists|is not present in table "[^"]*"|is still referenced from table "[^"]*")\.$/;
const CONFLICT = ') conflicts with existing key (';

/**
 * Masks the DETAIL field of a PostgreSQL error or notice. Values there are printed raw, so column rules
 * apply by the column names the detail carries: `Key (email)=(…) already exists.` gets the
 * email column's strategy, a multi-column key is redacted whole, and `Failing row contains (…)`
 * (every column of the row, by position) is redacted whole when any column rule might cover the
 * table. Detectors then run over the result like any other text. `table` is the error's schema
 * and table fields, joined by a dot.
 */
export function maskErrorDetail(
  detail: string,
  table: string | undefined,
  masking: DetailMasking,
): string {
  if (!masking.active) return detail;
  if (detail.startsWith(KEY_START)) {
    const sep = detail.indexOf(KEY_SEP);
    if (sep !== -1) {
      const columns = detail.slice(KEY_START.length, sep);
      const names = columns.match(IDENTIFIER) ?? [];
      const maskers = names
        .map((name) => masking.columnMasker(table, name))
        .filter((m) => m !== undefined);
      if (maskers.length > 0) {
        return masking.maskText(
          maskKeyValues(
            detail,
            columns,
            sep,
            names.length === 1 && names[0] === columns ? maskers[0] : undefined,
          ),
        );
      }
    }
  }
  if (detail.startsWith(FAILING_ROW) && masking.coversTable(table)) {
    return `${FAILING_ROW}${REDACTED}).`;
  }
  return masking.maskText(detail);
}

function maskKeyValues(
  detail: string,
  columns: string,
  sep: number,
  single: ((value: string) => string | null) | undefined,
): string {
  const rest = detail.slice(sep + KEY_SEP.length);
  const head = `${KEY_START}${columns}${KEY_SEP}`;
  if (rest.includes(CONFLICT)) {
    return `${head}${REDACTED}${CONFLICT}${columns}${KEY_SEP}${REDACTED}).`;
  }
  const suffix = KEY_SUFFIX.exec(rest);
  if (!suffix) return `${head}${REDACTED})`;
  const value = rest.slice(0, suffix.index);
  const masked = single ? (single(value) ?? REDACTED) : REDACTED;
  return `${head}${masked}${suffix[0]}`;
}
