import { describe, expect, it } from 'vitest';
import { BUILTIN_DETECTORS } from './detectors/index.js';
import { KeyedHasher } from './keyed-hash.js';
import { TextMasker } from './text-masker.js';
import type { Strategy } from './types.js';

const KEY = new KeyedHasher(Buffer.from('k'.repeat(32)));

function masker(strategy: Strategy, names = [...BUILTIN_DETECTORS.keys()]): TextMasker {
  return new TextMasker(
    names.map((name) => ({ detector: BUILTIN_DETECTORS.get(name)!, strategy })),
    KEY,
  );
}

describe('TextMasker', () => {
  const redact = masker({ kind: 'redact' });

  it('returns clean values unchanged (the same string)', () => {
    for (const clean of [
      '',
      'alice',
      '42',
      '2024-01-15 10:30:00+00',
      'true',
      '3.14159',
      '{"a":1}',
      'a1b2c3',
    ]) {
      expect(redact.mask(clean)).toBe(clean);
    }
  });

  it('masks values inside row_to_json output', () => {
    const json =
      '{"id":7,"email":"ann@corp.example","card":"4111111111111111","note":"call +1 415 555 2671"}';
    expect(redact.mask(json)).toBe(
      '{"id":7,"email":"[redacted:email]","card":"[redacted:payment_card]","note":"call [redacted:phone]"}',
    );
  });

  it('masks each item of string_agg output', () => {
    expect(redact.mask('ann@a.io,bob@b.io, 5555555555554444')).toBe(
      '[redacted:email],[redacted:email], [redacted:payment_card]',
    );
  });

  it('masks values echoed in error details', () => {
    expect(redact.mask('Key (email)=(a@b.com) already exists.')).toBe(
      'Key (email)=([redacted:email]) already exists.',
    );
    expect(redact.mask('Failing row contains (7, 123-45-6789, null).')).toBe(
      'Failing row contains (7, [redacted:us_ssn], null).',
    );
  });

  it('masks COPY text lines column by column', () => {
    expect(redact.mask('7\tann@corp.example\t4111 1111 1111 1111\t\\N\n')).toBe(
      '7\t[redacted:email]\t[redacted:payment_card]\t\\N\n',
    );
  });

  it('applies keep_last_N and hash to spans', () => {
    expect(masker({ kind: 'keep_last', n: 4 }).mask('card 4111 1111 1111 1111.')).toBe(
      'card **** **** **** 1111.',
    );
    expect(masker({ kind: 'hash' }).mask('to ann@corp.example')).toBe(
      `to ${KEY.hash('ann@corp.example')}`,
    );
  });

  it('degrades null to redact inside text', () => {
    expect(masker({ kind: 'null' }, ['email']).mask('to a@b.io')).toBe('to [redacted:email]');
  });

  it('merges overlapping spans and keeps the stronger strategy', () => {
    const text = '+1 555-123-4567';
    const mixed = new TextMasker(
      [{ detector: BUILTIN_DETECTORS.get('phone')!, strategy: { kind: 'keep_last', n: 2 } }],
      KEY,
    );
    expect(mixed.mask(text)).toBe('** ***-***-**67');
    // A detector set where two detectors claim overlapping text.
    const both = new TextMasker(
      [
        { detector: BUILTIN_DETECTORS.get('us_ssn')!, strategy: { kind: 'keep_last', n: 4 } },
        { detector: BUILTIN_DETECTORS.get('phone')!, strategy: { kind: 'redact' } },
      ],
      KEY,
    );
    // 0123 45 6789 is a trunk-prefixed phone; 123 45 6789 inside it is an SSN.
    expect(both.mask('x 0123 45 6789 y')).toBe('x [redacted:phone] y');
  });

  it('only runs the detectors it was given', () => {
    expect(masker({ kind: 'redact' }, ['email']).mask('a@b.io 4111111111111111')).toBe(
      '[redacted:email] 4111111111111111',
    );
  });
});
