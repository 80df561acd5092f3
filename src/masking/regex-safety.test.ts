import { describe, expect, it } from 'vitest';
import {
  CUSTOM_BUDGET_MS,
  CUSTOM_OVERLAP,
  CUSTOM_WINDOW,
  customDetector,
} from './detectors/custom.js';
import { unsafePatternReason } from './regex-safety.js';
import type { Span } from './types.js';

describe('unsafePatternReason', () => {
  it.each([
    '(a+)+',
    '(a*)*b',
    '(\\w+\\s?)*$',
    '(?:x{1,100})+',
    '((ab)+c)*',
    '(a|b+){2,}',
    '(?<n>\\d+)+',
    '(a|a)*b',
    '(?:(a|ab)c)+',
    '(x{0,20}){1,40}',
  ])('refuses %s', (source) => {
    expect(unsafePatternReason(source)).toMatch(/catastrophic/);
  });

  it('limits unbounded repetitions when asked', () => {
    expect(unsafePatternReason('\\d+\\d+x', 1)).toMatch(/more than 1 unbounded/);
    expect(unsafePatternReason('a*b{2,}', 1)).toMatch(/more than 1 unbounded/);
    expect(unsafePatternReason('\\d+\\d+x')).toBeUndefined();
    expect(unsafePatternReason('\\d{1,12}-\\d+', 1)).toBeUndefined();
  });

  it.each([
    'ACME-[0-9]{8}',
    '(?:ab)+',
    '(\\d{3})-\\d+',
    '[(a+)+]',
    '\\(a+\\)+',
    'emp_\\d{6}',
    '(?:[A-Z]{2}){1,3}',
    '\\p{Lu}+',
    '(?:foo|bar)-\\d{4}',
    '(a|b){1,5}',
    '[|(]+x',
  ])('accepts %s', (source) => {
    expect(unsafePatternReason(source)).toBeUndefined();
  });
});

function found(pattern: string, text: string): string[] {
  const spans: Span[] = [];
  customDetector('c', pattern).find(text, spans);
  return [...new Set(spans.map((s) => `${s.start}:${text.slice(s.start, s.end)}`))];
}

describe('customDetector', () => {
  it('finds every match, with /source/flags', () => {
    expect(found('EMP-\\d{6}', 'EMP-123456 and EMP-654321')).toEqual([
      '0:EMP-123456',
      '15:EMP-654321',
    ]);
    expect(found('/emp-\\d{6}/i', 'EMP-123456')).toEqual(['0:EMP-123456']);
  });

  it('scans long values in overlapping windows without losing matches at the seams', () => {
    const token = 'SECRET-0123456789';
    const at = CUSTOM_WINDOW - 5; // straddles the first window's end
    const text = `${'x'.repeat(at)}${token}${'y'.repeat(3 * CUSTOM_WINDOW)}${token}`;
    const hits = found('SECRET-\\d{10}', text);
    expect(hits).toEqual([`${at}:${token}`, `${text.length - token.length}:${token}`]);
    expect(token.length).toBeLessThan(CUSTOM_OVERLAP);
  });

  it('bounds the time a slow pattern spends on one value and masks what it could not scan', () => {
    // `\d{1,10}\d+x` backtracks quadratically on a long digit run with no x.
    const detector = customDetector('slow', '\\d{1,10}\\d+x');
    const text = '1'.repeat(200_000);
    const spans: Span[] = [];
    const started = performance.now();
    detector.find(text, spans);
    expect(performance.now() - started).toBeLessThan(CUSTOM_BUDGET_MS + 500);
    expect(spans.at(-1)).toMatchObject({ end: text.length });
    expect(spans.at(-1)!.start).toBeGreaterThan(0);
  });

  it('refuses bad, empty-matching and catastrophic patterns', () => {
    expect(() => customDetector('a', '(')).toThrow(/invalid regular expression/);
    expect(() => customDetector('b', 'x*')).toThrow(/empty string/);
    expect(() => customDetector('c', '(a+)+$')).toThrow(/catastrophic/);
    expect(() => customDetector('d', '\\w+@\\w+')).toThrow(/unbounded/);
  });
});
