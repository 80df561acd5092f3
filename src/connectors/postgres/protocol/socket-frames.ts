/**
 * Awaitable frames from a socket, for the handshake phases (client startup, target login).
 * Once the session relays messages it listens to the socket directly and this is detached.
 */
import type { Socket } from 'node:net';
import type { FrameReader } from './frame-reader.js';

export class SocketClosedError extends Error {
  override readonly name = 'SocketClosedError';
}

export class SocketFrames {
  readonly reader: FrameReader;
  #socket: Socket;
  #wake: (() => void) | undefined;
  #failure: Error | undefined;
  readonly #onData = (chunk: Buffer) => {
    this.reader.push(chunk);
    this.#wake?.();
  };
  readonly #onEnd = () => this.#fail(new SocketClosedError('connection closed'));
  readonly #onError = (err: Error) => this.#fail(err);

  constructor(socket: Socket, reader: FrameReader) {
    this.#socket = socket;
    this.reader = reader;
    this.#attach();
  }

  /** Moves to another socket (after a TLS upgrade); unread bytes stay in the reader. */
  rebind(socket: Socket): void {
    this.detach();
    this.#socket = socket;
    this.#attach();
  }

  /** Resolves once the reader holds a complete frame. Rejects on close, error or deadline. */
  async next(deadline: AbortSignal): Promise<void> {
    while (!this.reader.next()) {
      if (this.#failure) throw this.#failure;
      deadline.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#wake = undefined;
          deadline.removeEventListener('abort', done);
          resolve();
        };
        this.#wake = done;
        deadline.addEventListener('abort', done, { once: true });
      });
    }
  }

  detach(): void {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
    this.#wake = undefined;
  }

  #attach(): void {
    this.#socket.on('data', this.#onData);
    this.#socket.on('end', this.#onEnd);
    this.#socket.on('close', this.#onEnd);
    this.#socket.on('error', this.#onError);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    this.#wake?.();
  }
}
