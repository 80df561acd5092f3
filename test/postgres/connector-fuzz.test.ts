/**
 * Random and malformed bytes at every stage of a live connection: the gateway always ends the
 * connection (or keeps serving it correctly), never crashes, and serves the next client.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import { frame, int16, query, startup, WireClient } from './wire.js';

let gw: TestConnector;
let token: string;
/** Raise locally to fuzz longer: GH_FUZZ_ROUNDS=1000 GH_FUZZ_SEED=9 npx vitest run … */
const rounds = Number(process.env['GH_FUZZ_ROUNDS'] ?? 60);
const seed = Number(process.env['GH_FUZZ_SEED'] ?? 7);

beforeAll(async () => {
  gw = await startTestConnector({ connector: { max_message_bytes: 65_536 } });
  token = await gw.token();
});
afterAll(() => gw?.stop());

function random(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { int, bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))) };
}

/** Frames a client might send after login, valid or nearly so. */
function messageAfterLogin(rng: ReturnType<typeof random>): Buffer {
  const types = 'QPBEDCSHdcfXFpz\0';
  const type = types[rng.int(types.length)]!;
  const body = rng.bytes(rng.int(40));
  const choice = rng.int(5);
  if (choice === 0) return frame(type === '\0' ? 'Q' : type, body);
  if (choice === 1) {
    // Lying length field.
    const out = frame('Q', 'select 1');
    out.writeInt32BE(rng.int(2) ? -rng.int(100) : 0x7ffffff0, 1);
    return out;
  }
  if (choice === 2) return frame('B', '', 'nope', int16(0), int16(rng.int(100)), body);
  if (choice === 3) return Buffer.concat([query('select 1'), rng.bytes(rng.int(10))]);
  return rng.bytes(rng.int(30));
}

async function expectServing(): Promise<void> {
  const client = new pg.Client(gw.pgConfig(token));
  await client.connect();
  expect((await client.query('select 1 as ok')).rows[0].ok).toBe(1);
  await client.end();
}

describe('fuzzing a live connector', () => {
  it('survives random startup packets: every connection is answered or closed', async () => {
    const rng = random(seed * 6);
    for (let i = 0; i < rounds; i++) {
      const wire = await WireClient.open(gw.host, gw.port);
      const valid = startup({ user: 'fuzz', database: 'postgres' });
      const input = rng.int(2) ? Buffer.from(valid) : rng.bytes(8 + rng.int(64));
      for (let m = rng.int(5); m > 0; m--) input[rng.int(input.length)] = rng.int(256);
      wire.send(input);
      wire.socket.end();
      await wire.waitClosed(10_000);
    }
    await expectServing();
  });

  it('survives random messages after login: errors are 08P01 and the connection ends, or it keeps working', {
    timeout: 30_000 + rounds * 1_500,
  }, async () => {
    const rng = random(seed);
    for (let i = 0; i < rounds; i++) {
      const wire = await WireClient.open(gw.host, gw.port);
      await wire.login(token);
      for (let m = 1 + rng.int(4); m > 0; m--) wire.send(messageAfterLogin(rng));
      wire.send(query('select 1'));
      // Read until the session either answers the final query or ends.
      // A partial frame legitimately leaves the gateway waiting for more bytes: give up after 1 s.
      let fatal: string | undefined;
      for (;;) {
        const message = await wire.message(1_000).catch(() => undefined);
        if (!message) break;
        if (message.type === 'E' && message.body.includes('FATAL')) {
          fatal = message.body.toString();
          expect(fatal).toMatch(/08P01|42501|XX000/);
          expect(fatal).not.toMatch(/XX000/);
        }
      }
      wire.close();
    }
    await expectServing();
    expect(gw.connector.sessionCount()).toBeLessThanOrEqual(1);
  });
});
