import type { Socket } from 'node:net';

/**
 * Bytes to send in one go. Consecutive frames of the same received chunk are merged into one
 * view, so relaying a whole chunk unchanged costs no copy and one write.
 */
export class OutputBatch {
  #parts: Buffer[] = [];
  #buf: Buffer | undefined;
  #start = 0;
  #end = 0;

  /** Adds bytes `[start, end)` of `buf`, extending the previous range when contiguous. */
  addRange(buf: Buffer, start: number, end: number): void {
    if (buf === this.#buf && start === this.#end) {
      this.#end = end;
      return;
    }
    this.#seal();
    this.#buf = buf;
    this.#start = start;
    this.#end = end;
  }

  add(bytes: Buffer): void {
    this.#seal();
    this.#parts.push(bytes);
  }

  get empty(): boolean {
    return this.#buf === undefined && this.#parts.length === 0;
  }

  /** Writes everything batched as one socket write; returns false when the socket is full. */
  writeTo(socket: Socket): boolean {
    this.#seal();
    const parts = this.#parts;
    if (parts.length === 0) return true;
    this.#parts = [];
    if (parts.length === 1) return socket.write(parts[0]!);
    socket.cork();
    let ok = true;
    for (const part of parts) ok = socket.write(part);
    socket.uncork();
    return ok;
  }

  #seal(): void {
    if (this.#buf === undefined) return;
    this.#parts.push(this.#buf.subarray(this.#start, this.#end));
    this.#buf = undefined;
  }
}
