import { describe, expect, it } from 'vitest';
import { capResult, cutToBytes, ResultCapture } from './result-capture.js';

describe('ResultCapture', () => {
  it('keeps the first max_rows rows and says it left the rest out', () => {
    const capture = new ResultCapture({ maxRows: 2, maxBytes: 1000 });
    capture.columns(['id', 'name'], [true, false]);
    expect(capture.row(['1', 'a'])).toBe(true);
    expect(capture.row(['2', null])).toBe(false);
    expect(capture.wants).toBe(false);
    capture.row(['3', 'c']);
    expect(capture.result()).toEqual({
      columns: ['id', 'name'],
      rows: [
        ['1', 'a'],
        ['2', null],
      ],
      truncated: true,
      numeric: [true, false],
    });
  });

  it('is not truncated when everything fit', () => {
    const capture = new ResultCapture({ maxRows: 5, maxBytes: 1000 });
    capture.columns(['x']);
    capture.row(['1']);
    expect(capture.result()).toEqual({ columns: ['x'], rows: [['1']], truncated: false });
  });

  it('stops at max_bytes, cutting the value that crosses it between characters', () => {
    const capture = new ResultCapture({ maxRows: 100, maxBytes: 10 });
    capture.columns(['ab']); // 2 bytes
    expect(capture.row(['abc'])).toBe(true); // 5
    expect(capture.row(['éééé'])).toBe(false); // 8 bytes, 5 left: "éé" (4 bytes)
    expect(capture.result()).toEqual({ columns: ['ab'], rows: [['abc'], ['éé']], truncated: true });
  });

  it('captures one result set; a second only marks truncation', () => {
    const capture = new ResultCapture({ maxRows: 10, maxBytes: 100 });
    capture.columns(['a']);
    capture.row(['1']);
    capture.columns(['b']);
    expect(capture.result()).toMatchObject({ columns: ['a'], truncated: true });
  });

  it('has nothing to say before any columns', () => {
    expect(new ResultCapture({ maxRows: 1, maxBytes: 1 }).result()).toBeUndefined();
  });
});

describe('capResult', () => {
  it('cuts what a connector handed over to the configured caps', () => {
    const result = {
      columns: ['n'],
      rows: Array.from({ length: 50 }, (_, i) => [String(i)]),
      truncated: false,
    };
    expect(capResult(result, { maxRows: 3, maxBytes: 1000 })).toEqual({
      columns: ['n'],
      rows: [['0'], ['1'], ['2']],
      truncated: true,
    });
    expect(capResult(result, { maxRows: 100, maxBytes: 1000 })?.truncated).toBe(false);
    expect(
      capResult({ ...result, truncated: true }, { maxRows: 100, maxBytes: 1000 }),
    ).toMatchObject({ truncated: true });
  });

  it('captures nothing when capture is off or the value is not a result', () => {
    const result = { columns: ['n'], rows: [['1']], truncated: false };
    expect(capResult(result, { maxRows: 0, maxBytes: 1000 })).toBeUndefined();
    expect(capResult(result, { maxRows: 10, maxBytes: 0 })).toBeUndefined();
    expect(capResult(undefined, { maxRows: 10, maxBytes: 10 })).toBeUndefined();
    expect(
      capResult({ columns: 'x' } as unknown as typeof result, { maxRows: 10, maxBytes: 10 }),
    ).toBeUndefined();
  });

  it('turns stray values into text', () => {
    const odd = { columns: ['n'], rows: [[1 as unknown as string]], truncated: false };
    expect(capResult(odd, { maxRows: 10, maxBytes: 10 })?.rows).toEqual([['1']]);
  });
});

describe('cutToBytes', () => {
  it('never splits a character', () => {
    expect(cutToBytes('a\u{1F600}b', 4)).toBe('a');
    expect(cutToBytes('a\u{1F600}b', 5)).toBe('a\u{1F600}');
    expect(cutToBytes('abc', 0)).toBe('');
  });
});

describe('capResult for terminal streams and exchanges', () => {
  const limits = { maxRows: 10, maxBytes: 10 };

  it('keeps terminal events until their data reaches max_bytes, cutting the last', () => {
    const capped = capResult(
      {
        kind: 'terminal',
        header: { version: 2, width: 100, height: 30, timestamp: 1_700_000_000 },
        events: [
          [0.5, 'o', 'hello'],
          [0.7, 'x' as 'o', 'ignored'],
          [1, 'o', 'world!!'],
          [2, 'o', 'more'],
        ],
        truncated: false,
      },
      limits,
    );
    expect(capped).toEqual({
      kind: 'terminal',
      header: { version: 2, width: 100, height: 30, timestamp: 1_700_000_000 },
      events: [
        [0.5, 'o', 'hello'],
        [1, 'o', 'world'],
      ],
      truncated: true,
    });
  });

  it('keeps an exchange within max_bytes: target, then headers, then the body', () => {
    expect(
      capResult(
        {
          kind: 'exchange',
          method: 'GET',
          target: '/pods',
          status: 200,
          headers: { a: 'b', long: 'header-value' },
          body: 'abcdef',
          truncated: false,
        },
        limits,
      ),
    ).toEqual({
      kind: 'exchange',
      method: 'GET',
      target: '/pods',
      status: 200,
      headers: { a: 'b' },
      body: 'abc',
      truncated: true,
    });
  });

  it('captures nothing of any kind when capture is off, and drops unknown kinds', () => {
    const terminal = {
      kind: 'terminal' as const,
      header: { version: 2 as const, width: 80, height: 24 },
      events: [],
      truncated: false,
    };
    expect(capResult(terminal, { maxRows: 0, maxBytes: 100 })).toBeUndefined();
    expect(capResult(terminal, limits)).toEqual(terminal);
    expect(
      capResult({ kind: 'video' } as unknown as typeof terminal, { maxRows: 5, maxBytes: 5 }),
    ).toBeUndefined();
  });

  it('keeps a table without kind, as it was always stored', () => {
    expect(
      capResult({ kind: 'table', columns: ['a'], rows: [], truncated: false }, limits),
    ).toEqual({ columns: ['a'], rows: [], truncated: false });
  });
});
