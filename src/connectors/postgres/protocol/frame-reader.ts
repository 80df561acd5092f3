/**
 * Frames PostgreSQL protocol messages in place.
 * https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS
 *
 * Typed messages are `Byte1 type, Int32 length (self-inclusive), body`; startup-phase packets
 * have no type byte. The reader exposes the current frame as offsets into `buf` (no copy, no
 * allocation per message). Chunks are queued as they arrive; a message split across chunks is
 * joined once, when all of its bytes are there.
 */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

const EMPTY = Buffer.alloc(0);

/** One framed message, as offsets into a buffer. */
export interface FrameView {
  readonly type: number;
  readonly buf: Buffer;
  readonly start: number;
  readonly bodyStart: number;
  readonly end: number;
  body(): Buffer;
}

/** A copy of the reader's current frame position that stays valid after the reader moves on. */
export function snapshot(frame: FrameView): FrameView {
  const { type, buf, start, bodyStart, end } = frame;
  return { type, buf, start, bodyStart, end, body: () => buf.subarray(bodyStart, end) };
}

export class FrameReader implements FrameView {
  /** Buffer holding the current frame; valid until the next call to `next`. */
  buf: Buffer = EMPTY;
  /** Type byte of the current frame (0 for untyped startup packets). */
  type = 0;
  /** Offset of the frame's first byte (the type byte, or the length for untyped frames). */
  start = 0;
  /** Offset of the first body byte. */
  bodyStart = 0;
  /** Offset just past the frame. */
  end = 0;

  #pos = 0;
  #queue: Buffer[] = [];
  #queued = 0;

  /** Largest accepted message length (the Int32 field, self-inclusive). */
  maxLength: number;
  /** False while reading startup-phase packets, which have no type byte. */
  typed: boolean;

  constructor(maxLength: number, typed = true) {
    this.maxLength = maxLength;
    this.typed = typed;
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.buf.length - this.#pos + this.#queued;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#pos >= this.buf.length && this.#queued === 0) {
      this.buf = chunk;
      this.#pos = 0;
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
  }

  /** Advances to the next complete frame; false when more bytes are needed. Throws FrameError. */
  next(): boolean {
    const header = this.typed ? 5 : 4;
    for (;;) {
      const buf = this.buf;
      const pos = this.#pos;
      const available = buf.length - pos;
      let need = header;
      if (available >= header) {
        const length = buf.readInt32BE(this.typed ? pos + 1 : pos);
        if (length < 4) throw new FrameError(`invalid message length ${length}`);
        if (length > this.maxLength) {
          throw new FrameError(`message of ${length} bytes exceeds the limit of ${this.maxLength}`);
        }
        need = this.typed ? length + 1 : length;
        if (available >= need) {
          this.type = this.typed ? buf[pos]! : 0;
          this.start = pos;
          this.bodyStart = pos + header;
          this.end = pos + need;
          this.#pos = this.end;
          return true;
        }
      }
      if (available + this.#queued < need) return false;
      if (available === 0) {
        this.buf = this.#queue.shift()!;
        this.#queued -= this.buf.length;
        this.#pos = 0;
        continue;
      }
      this.#join(need);
    }
  }

  /** Body of the current frame, as a view (no copy). */
  body(): Buffer {
    return this.buf.subarray(this.bodyStart, this.end);
  }

  /** Whole current frame including its header, as a view (no copy). */
  frame(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  /** Returns (and forgets) every byte not yet framed; used when a socket changes hands. */
  drain(): Buffer {
    const rest = [this.buf.subarray(this.#pos), ...this.#queue];
    this.buf = EMPTY;
    this.#pos = 0;
    this.#queue = [];
    this.#queued = 0;
    return Buffer.concat(rest);
  }

  /** Joins the partial message at `pos` with as many queued chunks as it needs. */
  #join(need: number): void {
    const parts = [this.buf.subarray(this.#pos)];
    let have = parts[0]!.length;
    let taken = 0;
    while (have < need) {
      const chunk = this.#queue[taken++]!;
      parts.push(chunk);
      have += chunk.length;
    }
    this.#queue.splice(0, taken);
    this.#queued -= have - parts[0]!.length;
    this.buf = Buffer.concat(parts, have);
    this.#pos = 0;
  }
}
