import type { CapturedTable } from '../../../core/command.js';

/**
 * A captured result in psql's default `aligned` format, byte for byte as psql prints it:
 * centred headers, numbers right-aligned, `+` where a value continues on the next line, no
 * padding after a left-aligned last column, then `(N rows)` and a blank line.
 * `rowCount` is the command's real row count (the capture may hold fewer rows).
 */
export function formatPsqlTable(result: CapturedTable, rowCount?: number): string {
  const { columns } = result;
  const count = rowCount ?? result.rows.length;
  const footer = `(${count} ${count === 1 ? 'row' : 'rows'})\n`;
  if (columns.length === 0) return `--\n${footer}\n`;
  const right = columns.map((_, i) => result.numeric?.[i] ?? looksNumeric(result.rows, i));
  const cells = result.rows.map((row) => columns.map((_, i) => (row[i] ?? '').split('\n')));
  const widths = columns.map((name, i) =>
    Math.max(width(name), ...cells.map((row) => Math.max(...row[i]!.map(width)))),
  );

  const header = columns.map((name, i) => centre(name, widths[i]!));
  const lines = [` ${header.join(' | ')} `, widths.map((w) => '-'.repeat(w + 2)).join('+')];
  for (const row of cells) {
    const height = Math.max(...row.map((parts) => parts.length));
    for (let line = 0; line < height; line++) {
      let text = ' ';
      row.forEach((parts, i) => {
        const value = parts[line] ?? '';
        const more = line < parts.length - 1;
        const last = i === row.length - 1;
        // A last column is padded only where it has a line of its own (psql's print.c).
        const padded = last && line >= parts.length ? '' : right[i] ? 'start' : last ? '' : 'end';
        text += padded ? pad(value, widths[i]!, padded) : value;
        text += last ? (more ? '+' : '') : `${more ? '+' : ' '}| `;
      });
      lines.push(text);
    }
  }
  return `${lines.join('\n')}\n${footer}\n`;
}

/** Without type information: a column whose values are all numbers, as psql would right-align. */
function looksNumeric(rows: CapturedTable['rows'], column: number): boolean {
  let seen = false;
  for (const row of rows) {
    const value = row[column];
    if (value === null || value === undefined) continue;
    if (!/^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(value)) return false;
    seen = true;
  }
  return seen;
}

function centre(text: string, size: number): string {
  const space = size - width(text);
  const left = Math.floor(space / 2);
  return ' '.repeat(left) + text + ' '.repeat(space - left);
}

function pad(text: string, size: number, side: 'start' | 'end' = 'end'): string {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return side === 'start' ? fill + text : text + fill;
}

/** Terminal columns a text takes: East Asian wide characters count two, combining marks none. */
export function width(text: string): number {
  let columns = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if ((code >= 0x300 && code <= 0x36f) || code === 0x200b) continue;
    columns += isWide(code) ? 2 : 1;
  }
  return columns;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}
