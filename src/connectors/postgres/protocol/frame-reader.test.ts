import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader } from './frame-reader.js';
import { FrontendCode } from './message-codes.js';
import { message } from './writer.js';

const frames = [
  message(FrontendCode.Query, [{ cstring: 'select 1' }]),
  message(FrontendCode.Sync, []),
  message(FrontendCode.CopyData, [{ bytes: Buffer.alloc(70_000, 7) }]),
  message(FrontendCode.Terminate, []),
];
const stream = Buffer.concat(frames);

function readAll(reader: FrameReader): Buffer[] {
  const out: Buffer[] = [];
  while (reader.next()) out.push(Buffer.from(reader.frame()));
  return out;
}

describe('FrameReader', () => {
  it('frames a stream however it is split into chunks', () => {
    for (const size of [1, 2, 3, 5, 7, 64, 1000, 65_536, stream.length]) {
      const reader = new FrameReader(1 << 20);
      const got: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) {
        reader.push(stream.subarray(at, at + size));
        got.push(...readAll(reader));
      }
      expect(got).toEqual(frames);
      expect(reader.buffered).toBe(0);
    }
  });

  it('keeps frames of one chunk as views of that chunk (no copy)', () => {
    const reader = new FrameReader(1 << 20);
    reader.push(stream);
    expect(reader.next()).toBe(true);
    expect(reader.buf).toBe(stream);
    expect(reader.type).toBe(FrontendCode.Query);
    expect(reader.body().toString()).toBe('select 1\0');
  });

  it('rejects lengths below 4 and above the limit', () => {
    const bad = Buffer.from([FrontendCode.Query, 0, 0, 0, 3]);
    const reader = new FrameReader(100);
    reader.push(bad);
    expect(() => reader.next()).toThrow(FrameError);
    const big = new FrameReader(100);
    big.push(Buffer.from([FrontendCode.Query, 0, 0, 0, 101]));
    expect(() => big.next()).toThrow(/exceeds the limit of 100/);
    const negative = new FrameReader(100);
    negative.push(Buffer.from([FrontendCode.Query, 0xff, 0xff, 0xff, 0xff]));
    expect(() => negative.next()).toThrow(FrameError);
  });

  it('reads untyped startup packets and switches to typed messages', () => {
    const reader = new FrameReader(10_000, false);
    const startup = message(null, [
      { int32: 196608 },
      { cstring: 'user' },
      { cstring: 'a' },
      { byte: 0 },
    ]);
    reader.push(Buffer.concat([startup, frames[0]!]));
    expect(reader.next()).toBe(true);
    expect(reader.frame()).toEqual(startup);
    reader.typed = true;
    expect(reader.next()).toBe(true);
    expect(reader.type).toBe(FrontendCode.Query);
  });

  it('hands back unframed bytes with drain', () => {
    const reader = new FrameReader(1 << 20);
    reader.push(stream.subarray(0, 20));
    reader.push(stream.subarray(20, 30));
    expect(reader.next()).toBe(true);
    expect(reader.drain()).toEqual(stream.subarray(frames[0]!.length, 30));
    expect(reader.buffered).toBe(0);
  });
});
