/**
 * The COPY text and CSV formats, as a server writes them for COPY TO: splitting one line into
 * its fields and writing a field back. https://www.postgresql.org/docs/current/sql-copy.html
 */

/** How the lines of a text or CSV COPY are written (the statement's options). */
export interface CopyTextFormat {
  csv: boolean;
  /** One character. */
  delimiter: string;
  /** What a NULL is written as (`\N` in text, an empty unquoted field in CSV by default). */
  null: string;
  /** CSV only: one character. */
  quote: string;
  /** CSV only: one character; the quote unless set. */
  escape: string;
}

/** The defaults of `FORMAT text` and `FORMAT csv`. */
export function copyTextFormat(csv: boolean): CopyTextFormat {
  return csv
    ? { csv, delimiter: ',', null: '', quote: '"', escape: '"' }
    : { csv, delimiter: '\t', null: '\\N', quote: '"', escape: '"' };
}

/** One field of a line: as sent, and its value (null for NULL). */
export interface CopyField {
  raw: string;
  value: string | null;
  /** CSV: the field was quoted (a FORCE_QUOTE column, or a value that needed it). */
  quoted: boolean;
}

/**
 * Splits one line (without its newline) into fields; undefined when it is not a line the
 * server could have written (e.g. a CSV quote left open), so the caller can fail closed.
 */
export function splitCopyLine(line: string, format: CopyTextFormat): CopyField[] | undefined {
  return format.csv ? splitCsv(line, format) : splitText(line, format);
}

function splitText(line: string, format: CopyTextFormat): CopyField[] | undefined {
  const fields: CopyField[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i <= line.length; i++) {
    if (i < line.length) {
      const c = line[i];
      if (c === '\\') {
        // Delimiters in values are always escaped, so the escaped character never splits.
        if (i + 1 >= line.length) return undefined;
        escaped = true;
        i++;
        continue;
      }
      if (c !== format.delimiter) continue;
    }
    const raw = line.slice(start, i);
    const value = raw === format.null ? null : escaped ? unescapeText(raw) : raw;
    fields.push({ raw, value, quoted: false });
    start = i + 1;
    escaped = false;
  }
  return fields;
}

const LETTER_ESCAPES: Readonly<Record<string, number>> = {
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
};

/** Reads `\b \f \n \r \t \v`, `\` + 1-3 octal digits, `\x` + 1-2 hex digits (bytes), `\c` → c. */
function unescapeText(raw: string): string {
  const bytes: number[] = [];
  const pushText = (text: string) => {
    for (const byte of Buffer.from(text, 'utf8')) bytes.push(byte);
  };
  let run = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '\\') continue;
    pushText(raw.slice(run, i));
    const c = raw[i + 1]!;
    i++;
    const letter = LETTER_ESCAPES[c];
    if (letter !== undefined) bytes.push(letter);
    else if (c >= '0' && c <= '7') {
      let value = 0;
      let n = 0;
      while (n < 3 && raw[i] !== undefined && raw[i]! >= '0' && raw[i]! <= '7') {
        value = value * 8 + Number(raw[i]);
        i++;
        n++;
      }
      i--;
      bytes.push(value & 0xff);
    } else if (c === 'x' && /^[0-9a-fA-F]/.test(raw.slice(i + 1, i + 2))) {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(raw.slice(i + 1))![0];
      bytes.push(Number.parseInt(hex, 16));
      i += hex.length;
    } else pushText(c);
    run = i + 1;
  }
  pushText(raw.slice(run));
  return Buffer.from(bytes).toString('utf8');
}

function splitCsv(line: string, format: CopyTextFormat): CopyField[] | undefined {
  const { delimiter, quote, escape: esc } = format;
  const fields: CopyField[] = [];
  let i = 0;
  for (;;) {
    const start = i;
    if (line[i] === quote) {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        const c = line[i]!;
        const next = line[i + 1];
        // The escape character escapes only the quote and itself (by default it is the quote:
        // `""`); before anything else it is a character of the value.
        if (c === esc && next !== undefined && (next === quote || next === esc)) {
          value += next;
          i += 2;
          continue;
        }
        if (c === quote) {
          i++;
          break;
        }
        value += c;
        i++;
      }
      // The server writes nothing between a closing quote and the delimiter.
      if (i < line.length && line[i] !== delimiter) return undefined;
      fields.push({ raw: line.slice(start, i), value, quoted: true });
    } else {
      let end = line.indexOf(delimiter, i);
      if (end < 0) end = line.length;
      const raw = line.slice(i, end);
      // An unquoted value with a quote, newline or carriage return would have been quoted.
      if (raw.includes(quote) || raw.includes('\n') || raw.includes('\r')) return undefined;
      fields.push({ raw, value: raw === format.null ? null : raw, quoted: false });
      i = end;
    }
    if (i >= line.length) return fields;
    i++; // the delimiter
  }
}

/**
 * Writes a value as the server would: text escapes backslash, the delimiter and `\b \f \n \r
 * \t \v`; CSV quotes a value holding the delimiter, quote, a newline or carriage return, equal to
 * the NULL string, or `\.` alone on a line (`quoted` keeps the quotes a FORCE_QUOTE gave it).
 */
export function encodeCopyField(
  value: string | null,
  format: CopyTextFormat,
  options: { quoted?: boolean; only?: boolean } = {},
): string {
  if (value === null) return format.null;
  return format.csv ? encodeCsv(value, format, options) : encodeText(value, format.delimiter);
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

function encodeText(value: string, delimiter: string): string {
  let out = '';
  for (const c of value) {
    const escaped = TEXT_ESCAPES[c];
    if (escaped !== undefined) out += escaped;
    else if (c === delimiter) out += `\\${c}`;
    else out += c;
  }
  return out;
}

function encodeCsv(
  value: string,
  format: CopyTextFormat,
  options: { quoted?: boolean; only?: boolean },
): string {
  const { delimiter, quote, escape: esc } = format;
  const needs =
    options.quoted === true ||
    value === format.null ||
    (options.only === true && value === '\\.') ||
    value.includes(delimiter) ||
    value.includes(quote) ||
    value.includes('\n') ||
    value.includes('\r');
  if (!needs) return value;
  let out = quote;
  for (const c of value) out += c === quote || c === esc ? `${esc}${c}` : c;
  return out + quote;
}
