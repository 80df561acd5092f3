/**
 * Builds one protocol message. Sizes are computed up front so each message is one allocation.
 * https://www.postgresql.org/docs/current/protocol-message-types.html
 */
export type Field =
  | { int32: number }
  | { int16: number }
  | { byte: number }
  | { cstring: string }
  | { bytes: Buffer };

function fieldLength(field: Field): number {
  if ('int32' in field) return 4;
  if ('int16' in field) return 2;
  if ('byte' in field) return 1;
  if ('cstring' in field) return Buffer.byteLength(field.cstring) + 1;
  return field.bytes.length;
}

/**
 * Encodes a message: `type` is the message's type byte (`message-codes.ts`), or `null` for startup-phase packets
 * that carry only a length.
 */
export function message(type: number | null, fields: ReadonlyArray<Field>): Buffer {
  let length = 4;
  for (const field of fields) length += fieldLength(field);
  const header = type === null ? 0 : 1;
  const out = Buffer.allocUnsafe(header + length);
  let at = 0;
  if (type !== null) out[at++] = type;
  at = out.writeInt32BE(length, at);
  for (const field of fields) {
    if ('int32' in field) at = out.writeInt32BE(field.int32, at);
    else if ('int16' in field) at = out.writeInt16BE(field.int16, at);
    else if ('byte' in field) at = out.writeUInt8(field.byte, at);
    else if ('cstring' in field) {
      at += out.write(field.cstring, at);
      out[at++] = 0;
    } else at += field.bytes.copy(out, at);
  }
  return out;
}

/** Reads NUL-terminated strings and integers from a message body, with bounds checks. */
export class BodyReader {
  readonly body: Buffer;
  #at = 0;

  constructor(body: Buffer) {
    this.body = body;
  }

  get remaining(): number {
    return this.body.length - this.#at;
  }

  cstring(): string {
    const end = this.body.indexOf(0, this.#at);
    if (end < 0) throw new RangeError('unterminated string');
    const text = this.body.toString('utf8', this.#at, end);
    this.#at = end + 1;
    return text;
  }

  int32(): number {
    if (this.remaining < 4) throw new RangeError('message too short');
    const value = this.body.readInt32BE(this.#at);
    this.#at += 4;
    return value;
  }

  int16(): number {
    if (this.remaining < 2) throw new RangeError('message too short');
    const value = this.body.readInt16BE(this.#at);
    this.#at += 2;
    return value;
  }

  byte(): number {
    if (this.remaining < 1) throw new RangeError('message too short');
    return this.body[this.#at++]!;
  }

  bytes(length: number): Buffer {
    if (length < 0 || this.remaining < length) throw new RangeError('message too short');
    const view = this.body.subarray(this.#at, this.#at + length);
    this.#at += length;
    return view;
  }
}
