import { describe, expect, it } from 'vitest';
import { KeyedHasher } from './keyed-hash.js';
import { keepLast, maskCell, maskSpan, parseStrategy, stronger } from './strategies.js';

const KEY = new KeyedHasher(Buffer.from('0123456789abcdef0123456789abcdef'));

describe('parseStrategy', () => {
  it('reads the four strategies', () => {
    expect(parseStrategy('redact')).toEqual({ kind: 'redact' });
    expect(parseStrategy('null')).toEqual({ kind: 'null' });
    expect(parseStrategy('hash')).toEqual({ kind: 'hash' });
    expect(parseStrategy('keep_last_4')).toEqual({ kind: 'keep_last', n: 4 });
    expect(parseStrategy('keep_last_')).toBeUndefined();
    expect(parseStrategy('keep_first_4')).toBeUndefined();
  });
});

describe('keepLast', () => {
  it('masks all but the last N characters, keeping spaces and dashes', () => {
    expect(keepLast('4111 1111 1111 1234', 4)).toBe('**** **** **** 1234');
    expect(keepLast('123-45-6789', 4)).toBe('***-**-6789');
    expect(keepLast('alice@example.com', 4)).toBe('*************.com');
  });

  it('masks everything when the value is not longer than N', () => {
    expect(keepLast('1234', 4)).toBe('****');
    expect(keepLast('12', 4)).toBe('**');
    expect(keepLast('12345', 4)).toBe('*2345');
  });

  it('counts code points, not UTF-16 units', () => {
    expect(keepLast('😀😀😀ab', 2)).toBe('***ab');
  });
});

describe('maskCell and maskSpan', () => {
  it('apply each strategy; null empties a cell but redacts a span', () => {
    expect(maskCell({ kind: 'null' }, 'x', undefined)).toBeNull();
    expect(maskCell({ kind: 'redact' }, 'x', undefined)).toBe('[redacted]');
    expect(maskCell({ kind: 'hash' }, 'x', KEY)).toBe(KEY.hash('x'));
    expect(maskCell({ kind: 'keep_last', n: 2 }, 'abcdef', undefined)).toBe('****ef');
    expect(maskSpan({ kind: 'null' }, 'a@b.com', 'email', undefined)).toBe('[redacted:email]');
    expect(maskSpan({ kind: 'redact' }, 'a@b.com', 'email', undefined)).toBe('[redacted:email]');
    expect(maskSpan({ kind: 'hash' }, 'a@b.com', 'email', KEY)).toBe(KEY.hash('a@b.com'));
  });
});

describe('stronger', () => {
  it('ranks null > redact > hash > keep_last (fewer kept is stronger)', () => {
    expect(stronger({ kind: 'hash' }, { kind: 'redact' })).toEqual({ kind: 'redact' });
    expect(stronger({ kind: 'null' }, { kind: 'redact' })).toEqual({ kind: 'null' });
    expect(stronger({ kind: 'keep_last', n: 4 }, { kind: 'hash' })).toEqual({ kind: 'hash' });
    expect(stronger({ kind: 'keep_last', n: 4 }, { kind: 'keep_last', n: 2 })).toEqual({
      kind: 'keep_last',
      n: 2,
    });
  });
});
