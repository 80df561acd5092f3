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

  it('refuses numbers that would not read back the same', () => {
    expect(() => canonicalJson(1.5)).toThrow(TypeError);
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(2 ** 53)).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
    expect(canonicalJson(-42)).toBe('-42');
  });
});

describe('storableText', () => {
  it('replaces NUL and lone surrogates, keeps everything else', () => {
    expect(storableText('a\u0000b')).toBe('a\u2400b');
    expect(storableText('x\uD800y')).toBe('x\uFFFDy');
    expect(storableText('ünï \u{1F600}')).toBe('ünï \u{1F600}');
  });
});
