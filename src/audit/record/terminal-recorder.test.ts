import { describe, expect, it } from 'vitest';
import { capResult } from './result-capture.js';
import { TerminalRecorder, toAsciicast } from './terminal-recorder.js';

function clock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TerminalRecorder', () => {
  it('records output, input, resize and exit as asciicast v2 with times in seconds', () => {
    const c = clock();
    const rec = new TerminalRecorder({
      limits: { maxRows: 1, maxBytes: 1000 },
      now: c.now,
      width: 100,
      height: 30,
    });
    rec.output('$ ');
    c.advance(500);
    rec.input(new TextEncoder().encode('ls\r'));
    c.advance(250);
    rec.resize(120, 40);
    rec.output(Buffer.from('a.txt\r\n'));
    c.advance(1000);
    rec.exit(0);
    const result = rec.result();
    expect(result.header).toEqual({ version: 2, width: 100, height: 30, timestamp: 1_700_000_000 });
    expect(result.events).toEqual([
      [0, 'o', '$ '],
      [0.5, 'i', 'ls\r'],
      [0.75, 'r', '120x40'],
      [0.75, 'o', 'a.txt\r\n'],
      [1.75, 'm', 'exit 0'],
    ]);
    expect(result.truncated).toBe(false);
    expect(toAsciicast(result).split('\n')[0]).toBe(JSON.stringify(result.header));
  });

  it('a resize before any event sets the header size', () => {
    const rec = new TerminalRecorder({ limits: { maxRows: 1, maxBytes: 100 } });
    rec.resize(132, 50);
    expect(rec.result().header).toMatchObject({ width: 132, height: 50 });
    expect(rec.result().events).toEqual([]);
  });

  it('keeps a character split across chunks whole', () => {
    const c = clock();
    const rec = new TerminalRecorder({ limits: { maxRows: 1, maxBytes: 100 }, now: c.now });
    const bytes = Buffer.from('é€', 'utf8');
    rec.output(bytes.subarray(0, 1));
    rec.output(bytes.subarray(1, 3));
    rec.output(bytes.subarray(3));
    expect(
      rec
        .result()
        .events.map((e) => e[2])
        .join(''),
    ).toBe('é€');
  });

  it('stops at maxBytes without splitting a character and marks the capture truncated', () => {
    const c = clock();
    const rec = new TerminalRecorder({ limits: { maxRows: 1, maxBytes: 5 }, now: c.now });
    rec.output('abc');
    c.advance(10);
    rec.output('déf');
    c.advance(10);
    rec.output('more');
    rec.exit(1);
    const result = rec.result();
    expect(result.events).toEqual([
      [0, 'o', 'abc'],
      [0.01, 'o', 'd'],
    ]);
    expect(result.truncated).toBe(true);
    // What the audit sink caps again is unchanged.
    expect(capResult(result, { maxRows: 1, maxBytes: 5 })).toEqual(result);
  });

  it('merges chunks of one stream within a millisecond', () => {
    const c = clock();
    const rec = new TerminalRecorder({ limits: { maxRows: 1, maxBytes: 100 }, now: c.now });
    rec.output('a');
    rec.output('b');
    rec.input('x');
    rec.output('c');
    expect(rec.result().events).toEqual([
      [0, 'o', 'ab'],
      [0, 'i', 'x'],
      [0, 'o', 'c'],
    ]);
  });

  it('records a signal as the end', () => {
    const rec = new TerminalRecorder({ limits: { maxRows: 1, maxBytes: 100 } });
    rec.exit(undefined, 'TERM');
    expect(rec.result().events.at(-1)?.slice(1)).toEqual(['m', 'signal TERM']);
  });
});
