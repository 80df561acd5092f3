/**
 * JSON with one spelling per value, so a hash over it can be recomputed by anyone: object keys
 * sorted by UTF-16 code units, no whitespace, strings and numbers as `JSON.stringify` writes
 * them. For the values audit records hold (strings, safe integers, finite fractions such as the
 * seconds of an asciicast event, booleans, null, arrays, plain objects) this is RFC 8785 (JCS),
 * whose numbers are exactly ECMAScript's shortest round-trip spelling, `JSON.stringify`'s.
 * `undefined` members are left out, as JSON does; anything else (non-finite numbers, integers
 * beyond 2^53 that would not read back the same, bigint, functions) is a programmer error.
 * https://www.rfc-editor.org/rfc/rfc8785
 */
export function canonicalJson(value: unknown): string {
  // JSON.stringify writes exactly this text when every object's keys are already in order and
  // every value is one we accept, and it is several times faster than building it here.
  if (typeof value === 'object' && value !== null && stringifiesCanonically(value)) {
    return JSON.stringify(value);
  }
  return encode(value);
}

/**
 * True when `JSON.stringify(value)` is the canonical text: nothing but strings, booleans,
 * null, safe integers, `undefined` members or items (both left out / written as null alike),
 * arrays and objects whose own keys are listed in sorted order and that have no `toJSON`.
 */
function stringifiesCanonically(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return isRecordableNumber(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!stringifiesCanonically(value[i])) return false;
        }
        return true;
      }
      const object = value as Record<string, unknown>;
      if (typeof object['toJSON'] === 'function') return false;
      const keys = Object.keys(object);
      for (let i = 0; i < keys.length; i++) {
        if (i > 0 && keys[i - 1]! > keys[i]!) return false;
        if (!stringifiesCanonically(object[keys[i]!])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** A safe integer, or a finite fraction below 2^53 (both read back exactly from their text). */
function isRecordableNumber(value: number): boolean {
  return Number.isSafeInteger(value) || (Number.isFinite(value) && Math.abs(value) < 2 ** 53);
}

function encode(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!isRecordableNumber(value)) {
        throw new TypeError(
          `audit records hold safe integers and finite fractions only, got ${value}`,
        );
      }
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? arrayJson(value) : objectJson(value as Record<string, unknown>);
    default:
      throw new TypeError(`cannot encode ${typeof value} in an audit record`);
  }
}

// Hot path (every audit record): plain loops and string appends, no intermediate arrays.

function arrayJson(items: ReadonlyArray<unknown>): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    const item = items[i];
    out += item === undefined ? 'null' : canonicalJson(item);
  }
  return `${out}]`;
}

function objectJson(object: Record<string, unknown>): string {
  let keys = Object.keys(object);
  // Records are built with their keys mostly in order; sort only when they are not.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys = keys.sort();
      break;
    }
  }
  let out = '{';
  for (const key of keys) {
    const member = object[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
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
