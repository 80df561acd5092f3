import { describe, expect, it } from 'vitest';
import { canonicalJson, storableText } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[true,null]},"b":1}',
    );
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });

  it('sorts by UTF-16 code units, as RFC 8785 does', () => {
    expect(canonicalJson({ '\u{1F600}': 1, '\uFB01': 2, a: 3 })).toBe(
      '{"a":3,"\u{1F600}":1,"\uFB01":2}',
    );
  });

  it('writes strings as JSON.stringify does, escaping NUL and lone surrogates', () => {
    expect(canonicalJson('a"\\\n\u0000\uD800')).toBe('"a\\"\\\\\\n\\u0000\\ud800"');
  });

  it('refuses numbers that would not read back the same, and writes fractions as JCS does', () => {
    expect(canonicalJson(1.5)).toBe('1.5');
    expect(canonicalJson([0.003, 'o', 'x'])).toBe('[0.003,"o","x"]');
    expect(JSON.parse(canonicalJson(0.1 + 0.2))).toBe(0.1 + 0.2);
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(2 ** 53)).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
    expect(canonicalJson(-42)).toBe('-42');
  });
});

/** The first implementation (map/filter/sort/join), kept as the reference the fast one must match. */
function referenceCanonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value) && !(Number.isFinite(value) && Math.abs(value) < 2 ** 53)) {
        throw new TypeError(`not a safe integer or finite fraction: ${value}`);
      }
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        return `[${value.map((item) => (item === undefined ? 'null' : referenceCanonicalJson(item))).join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${referenceCanonicalJson(record[key])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`cannot encode ${typeof value}`);
  }
}

/** Deterministic PRNG (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ALPHABET = [
  'a',
  'b',
  'Z',
  '0',
  '9',
  ' ',
  '"',
  '\\',
  '\n',
  '\u0000',
  '\u007f',
  'é',
  '\uFB01',
  '\u{1F600}',
  '\uD800',
  '\uDFFF',
];

function randomString(next: () => number, maxLength: number): string {
  let text = '';
  const length = Math.floor(next() * (maxLength + 1));
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return text;
}

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return Math.floor((next() - 0.5) * 2 ** (1 + Math.floor(next() * 53)));
    case 3:
      return randomString(next, 12);
    case 4:
      return undefined;
    case 5:
      return next() < 0.5 ? Number.MAX_SAFE_INTEGER : -0;
    case 6:
    case 7: {
      const object: Record<string, unknown> = {};
      const size = Math.floor(next() * 7);
      for (let i = 0; i < size; i++) {
        const key = next() < 0.2 ? String(Math.floor(next() * 20)) : randomString(next, 4);
        object[key] = randomValue(next, depth + 1);
      }
      return object;
    }
    default:
      return Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1));
  }
}

describe('canonicalJson against the reference implementation', () => {
  it('writes byte-identical text for random nested values', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const value = randomValue(random(seed), 0);
      const expected = value === undefined ? undefined : referenceCanonicalJson(value);
      if (expected === undefined) continue;
      expect(canonicalJson(value), `seed ${seed}`).toBe(expected);
    }
  });

  it('refuses what the reference refuses', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 10n, () => 1, Symbol('s')]) {
      expect(() => referenceCanonicalJson({ a: [bad] })).toThrow(TypeError);
      expect(() => canonicalJson({ a: [bad] })).toThrow(TypeError);
    }
  });
});

describe('storableText', () => {
  it('replaces NUL and lone surrogates, keeps everything else', () => {
    expect(storableText('a\u0000b')).toBe('a\u2400b');
    expect(storableText('x\uD800y')).toBe('x\uFFFDy');
    expect(storableText('ünï \u{1F600}')).toBe('ünï \u{1F600}');
  });
});
