/**
 * Random and mutated input to every decoder the gateway runs on client bytes: each either
 * decodes or throws the errors the session turns into 08P01 (FrameError, RangeError), nothing
 * else, and never loops or allocates beyond the input.
 */
import { describe, expect, it } from 'vitest';
import { readErrorSummary } from './errors.js';
import { readBind, readExecute, readParse, readQuery, readTargeted } from './extended.js';
import { FrameError, FrameReader } from './frame-reader.js';
import { FrontendCode, TargetKind } from './message-codes.js';
import { parseStartupPacket } from './startup.js';
import { message } from './writer.js';

/** Deterministic xorshift PRNG so failures reproduce. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}

const valid = [
  message(FrontendCode.Parse, [
    { cstring: 's' },
    { cstring: 'select $1' },
    { int16: 1 },
    { int32: 23 },
  ]),
  message(FrontendCode.Bind, [
    { cstring: '' },
    { cstring: 's' },
    { int16: 1 },
    { int16: 0 },
    { int16: 1 },
    { int32: 2 },
    { bytes: Buffer.from('42') },
    { int16: 0 },
  ]),
  message(FrontendCode.Execute, [{ cstring: '' }, { int32: 0 }]),
  message(FrontendCode.Describe, [{ byte: TargetKind.Statement }, { cstring: 's' }]),
  message(FrontendCode.Query, [{ cstring: 'select 1' }]),
  message(null, [{ int32: 196608 }, { cstring: 'user' }, { cstring: 'u' }, { byte: 0 }]),
];

const decoders = [readParse, readBind, readExecute, readTargeted, readQuery, readErrorSummary];

const unexpected: unknown[] = [];

function expectOnlyDecodeErrors(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof RangeError || err instanceof FrameError)) unexpected.push(err);
  }
}

describe('protocol decoders under random input', () => {
  it('only ever throw decode errors', () => {
    const rng = random(20_251_125);
    for (let i = 0; i < 10_000; i++) {
      const base = valid[rng.int(valid.length)]!;
      const input = Buffer.from(rng.int(3) === 0 ? rng.bytes(rng.int(64)) : base);
      for (let m = rng.int(4); m > 0; m--) input[rng.int(input.length)] = rng.int(256);
      const cut = input.subarray(0, rng.int(input.length + 1));
      for (const decode of decoders) expectOnlyDecodeErrors(() => decode(cut.subarray(5)));
      expectOnlyDecodeErrors(() => parseStartupPacket(cut));
      const reader = new FrameReader(4096, rng.int(2) === 0);
      expectOnlyDecodeErrors(() => {
        reader.push(cut);
        let frames = 0;
        while (reader.next()) frames++;
        if (frames > cut.length / 4)
          unexpected.push(new Error(`${frames} frames from ${cut.length} bytes`));
      });
    }
    expect(unexpected).toEqual([]);
  });

  it('bounds Bind parameter counts by the bytes present', () => {
    const lying = message(FrontendCode.Bind, [
      { cstring: '' },
      { cstring: '' },
      { int16: 0 },
      { int16: 32_767 },
      { int32: 1 },
      { byte: 0x41 },
    ]);
    expect(() => readBind(lying.subarray(5))).toThrow(RangeError);
  });
});
