/**
 * Startup-phase packets: SSLRequest, GSSENCRequest, CancelRequest, StartupMessage.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import { BodyReader } from './writer.js';

export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
/** PostgreSQL refuses startup packets longer than this (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_PACKET = 10_000;

export type StartupPacket =
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; pid: number; secret: Buffer }
  | { kind: 'startup'; major: number; minor: number; params: Map<string, string> };

/** Decodes an untyped startup-phase packet (length prefix included). Throws RangeError. */
export function parseStartupPacket(packet: Buffer): StartupPacket {
  const reader = new BodyReader(packet.subarray(4));
  const code = reader.int32();
  if (code === SSL_REQUEST_CODE && reader.remaining === 0) return { kind: 'ssl' };
  if (code === GSSENC_REQUEST_CODE && reader.remaining === 0) return { kind: 'gssenc' };
  if (code === CANCEL_REQUEST_CODE) {
    const pid = reader.int32();
    if (reader.remaining < 4 || reader.remaining > 256) throw new RangeError('bad cancel key');
    return { kind: 'cancel', pid, secret: Buffer.from(reader.bytes(reader.remaining)) };
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  const params = new Map<string, string>();
  if (major === 3) {
    for (;;) {
      const name = reader.cstring();
      if (name === '') break;
      params.set(name, reader.cstring());
    }
    if (reader.remaining !== 0) throw new RangeError('trailing bytes after startup parameters');
  }
  return { kind: 'startup', major, minor, params };
}
