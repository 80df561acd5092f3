/**
 * JSON with one spelling per value, so a hash over it can be recomputed by anyone: object keys
 * sorted by UTF-16 code units, no whitespace, strings and numbers as `JSON.stringify` writes
 * them. For the values audit records hold (strings, safe integers, booleans, null, arrays,
 * plain objects) this is RFC 8785 (JCS). `undefined` members are left out, as JSON does;
 * anything else (non-finite or fractional numbers, bigint, functions) is a programmer error.
 * https://www.rfc-editor.org/rfc/rfc8785
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new TypeError(`audit records hold safe integers only, got ${value}`);
      }
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
      }
      const keys = Object.keys(value)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort();
      const members = keys.map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`cannot encode ${typeof value} in an audit record`);
  }
}

/**
 * Text as a store column can hold it: PostgreSQL text has no NUL (recorded as U+2400 ␀), and
 * a lone surrogate would come back as U+FFFD, so it is replaced before hashing, not after.
 */
export function storableText(text: string): string {
  const unicode = text as unknown as WellFormedString;
  const wellFormed = unicode.isWellFormed() ? text : unicode.toWellFormed();
  return wellFormed.includes('\0') ? wellFormed.replaceAll('\0', '\u2400') : wellFormed;
}

/** ES2024 string methods (Node ≥ 20), missing from the configured TypeScript lib. */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}
