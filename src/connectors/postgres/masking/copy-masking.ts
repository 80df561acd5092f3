/**
 * Column masking of COPY TO STDOUT lines (docs/masking.md). The server sends one CopyData per
 * row (protocol-message-formats.html, CopyData: "messages sent from the backend will always
 * correspond to single data rows"), so each line is masked on its own. A line that cannot be
 * read as the resolved columns is redacted whole.
 */
import type { ColumnMaskFn, SessionMasker } from '../../../masking/index.js';
import type { CopyOut } from '../classify/copy-statement.js';
import { encodeCopyField, splitCopyLine } from '../protocol/copy-text.js';

/** Masks one line (a CopyData body) of the COPY being received. */
export type CopyLineMasker = (line: string) => string;

/**
 * The line masker for a COPY whose CopyOutResponse is `response`, or undefined when its lines
 * must be redacted whole: the columns were not resolved (a query, the extended protocol, a
 * statement after the first, an error), binary format, or the server announces another
 * number of columns than resolved.
 */
export function copyLineMasker(
  masker: SessionMasker,
  copy: CopyOut | undefined,
  response: Buffer,
): CopyLineMasker | undefined {
  const columns = copy?.columns;
  if (!copy || !columns || response.length < 8) return undefined;
  if (response[5] !== 0 || response.readInt16BE(6) !== columns.length) return undefined;
  const { format, forceQuote } = copy.statement;
  const plans: Array<ColumnMaskFn | undefined> = columns.map(({ table, column }) =>
    masker.columnMasker(table, column),
  );
  const only = plans.length === 1;
  let header = copy.statement.header;
  return (line) => {
    if (header) {
      // Column names only, as the statement or the table spells them.
      header = false;
      return line;
    }
    if (!line.endsWith('\n')) return redactCopyLine(line);
    const fields = splitCopyLine(line.slice(0, -1), format);
    if (!fields || fields.length !== plans.length) return redactCopyLine(line);
    let changed = false;
    const out: string[] = [];
    for (let i = 0; i < fields.length; i++) {
      const { raw, value, quoted } = fields[i]!;
      const plan = plans[i];
      // NULL stays NULL, as a NULL cell of a masked column does in a result row.
      const masked = value === null ? null : plan ? plan(value) : masker.maskText(value);
      if (value === null || (!plan && masked === value)) {
        out.push(raw);
        continue;
      }
      changed = true;
      out.push(encodeCopyField(masked, format, { quoted: quoted && forceQuote, only }));
    }
    return changed ? `${out.join(format.delimiter)}\n` : line;
  };
}

/**
 * A line whose columns cannot be told apart: every field is redacted (text format keeps its
 * tabs and `\N`; other formats go whole).
 */
export function redactCopyLine(line: string): string {
  const newline = line.endsWith('\n') ? '\n' : '';
  const body = newline ? line.slice(0, -1) : line;
  if (body === '\\.') return line;
  return `${body
    .split('\t')
    .map((field) => (field === '\\N' ? field : '[redacted]'))
    .join('\t')}${newline}`;
}
