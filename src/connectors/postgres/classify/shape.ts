/**
 * Stands in for an integer constant PostgreSQL reads as an `int4` (ICONST), and for any other
 * numeric constant (FCONST: a decimal point, or an integer too large for `int4`). The grammar
 * accepts the two in different places (`FETCH 5` parses, `FETCH 99999999999` does not), so they
 * must not share a shape. Neither character can occur in a text the lexer accepts.
 */
export const INTEGER_PLACEHOLDER = '\u0001';
export const NUMERIC_PLACEHOLDER = '\u0002';

// Character kinds; any character not in the table (quotes, backslash, braces, controls,
// non-ASCII…) is refused.
const REFUSED = 0;
const SPACE = 1;
const LETTER = 2;
const DIGIT = 3;
const PUNCT = 4;
const DOT = 5;
const DOLLAR = 6;
const DASH = 7;
const SLASH = 8;

const KINDS: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const put = (chars: string, kind: number) => {
    for (const c of chars) table[c.charCodeAt(0)] = kind;
  };
  put(' \t\n\r', SPACE);
  put('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_', LETTER);
  put('0123456789', DIGIT);
  put('()[],;:*+%^<>=~!@#&|?', PUNCT);
  put('.', DOT);
  put('$', DOLLAR);
  put('-', DASH);
  put('/', SLASH);
  return table;
})();

const INT4_MAX = '2147483647';

function kindAt(sql: string, i: number): number {
  const code = sql.charCodeAt(i); // NaN past the end
  return code < 128 ? KINDS[code]! : REFUSED;
}

/**
 * The text with each numeric literal replaced by a placeholder, so that texts differing only in
 * those values share one shape; the text itself when it has none; undefined when it holds
 * anything this tiny lexer cannot tokenize with certainty. It accepts only ASCII letters,
 * digits, `_`, spaces, tabs, line breaks, operator and punctuation characters, and `$n`
 * parameters (`$1` to `$99999`). It declines quotes of every kind (so every string, quoted identifier and
 * E/U&/B/X/N prefix), backslashes, comments (`--`, `/*`), any other `$` (dollar quotes, `$`
 * inside identifiers), `..`, non-ASCII and control characters, and numbers or parameters glued
 * to identifier characters or a dot (`1e5`, `0x1F`, `1_000`, `1.2.3`, `$1a`), which PostgreSQL
 * reads differently or rejects.
 *
 * `42` and `007` are integers (up to 2147483647, as PostgreSQL's scanner decides); `1.5`, `.5`,
 * `5.` and larger integers are numeric. A sign is an operator and stays (`-5` and `5` differ).
 * Digits inside identifiers (`t1`, `s2.t3`) are not numbers. Nothing else changes: a text with
 * no number is its own shape.
 */
export function sqlShape(sql: string): string | undefined {
  const length = sql.length;
  let shape = '';
  let copied = 0;
  let i = 0;
  while (i < length) {
    const kind = kindAt(sql, i);
    if (kind === SPACE || kind === PUNCT) {
      i++;
    } else if (kind === LETTER) {
      let next = kindAt(sql, ++i);
      while (next === LETTER || next === DIGIT) next = kindAt(sql, ++i);
      if (i < length && (next === DOLLAR || sql.charCodeAt(i) >= 128)) return undefined;
    } else if (kind === DIGIT || (kind === DOT && kindAt(sql, i + 1) === DIGIT)) {
      const end = numberEnd(sql, i);
      if (end === undefined) return undefined;
      shape += sql.slice(copied, i) + placeholderFor(sql, i, end);
      copied = end;
      i = end;
    } else if (kind === DOT) {
      if (kindAt(sql, i + 1) === DOT) return undefined;
      i++;
    } else if (kind === DASH) {
      if (kindAt(sql, i + 1) === DASH) return undefined;
      i++;
    } else if (kind === SLASH) {
      if (sql.charCodeAt(i + 1) === 42 /* * */) return undefined;
      i++;
    } else if (kind === DOLLAR) {
      // `$n` is a parameter, kept as it is (up to 5 digits: PostgreSQL refuses numbers beyond
      // int4, and the protocol has at most 65 535 parameters); any other `$` may open a
      // dollar-quoted string.
      let end = i + 1;
      while (kindAt(sql, end) === DIGIT) end++;
      if (end === i + 1 || end - i > 6 || !endsToken(sql, end)) return undefined;
      i = end;
    } else {
      return undefined;
    }
  }
  return copied === 0 ? sql : shape + sql.slice(copied);
}

/** Where the number at `start` ends; undefined when more than digits and one dot are glued on. */
function numberEnd(sql: string, start: number): number | undefined {
  let i = start;
  while (kindAt(sql, i) === DIGIT) i++;
  if (kindAt(sql, i) === DOT) {
    i++;
    while (kindAt(sql, i) === DIGIT) i++;
  }
  return endsToken(sql, i) ? i : undefined;
}

/** True when the character at `i` cannot continue a number or parameter (end of text included). */
function endsToken(sql: string, i: number): boolean {
  if (i >= sql.length) return true;
  const kind = kindAt(sql, i);
  return kind !== LETTER && kind !== DIGIT && kind !== DOT && kind !== DOLLAR && kind !== REFUSED;
}

function placeholderFor(sql: string, start: number, end: number): string {
  let first = start;
  while (first < end - 1 && sql.charCodeAt(first) === 48 /* 0 */) first++;
  for (let i = first; i < end; i++) {
    if (kindAt(sql, i) !== DIGIT) return NUMERIC_PLACEHOLDER;
  }
  const digits = end - first;
  if (digits !== INT4_MAX.length) {
    return digits < INT4_MAX.length ? INTEGER_PLACEHOLDER : NUMERIC_PLACEHOLDER;
  }
  return sql.slice(first, end) <= INT4_MAX ? INTEGER_PLACEHOLDER : NUMERIC_PLACEHOLDER;
}
