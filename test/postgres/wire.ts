/**
 * A raw PostgreSQL wire client for tests that need exact control over bytes: pipelines, bad
 * frames, encryption negotiation. https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { connect, type Socket } from 'node:net';

export interface WireMessage {
  type: string;
  body: Buffer;
}

export function frame(type: string, ...parts: Array<string | Buffer | number>): Buffer {
  const bytes = parts.map((part) => {
    if (typeof part === 'number') {
      const b = Buffer.alloc(4);
      b.writeInt32BE(part);
      return b;
    }
    return typeof part === 'string' ? Buffer.from(`${part}\0`) : part;
  });
  const body = Buffer.concat(bytes);
  const header = Buffer.alloc(type ? 5 : 4);
  if (type) header.write(type);
  header.writeInt32BE(body.length + 4, type ? 1 : 0);
  return Buffer.concat([header, body]);
}

export const int16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};

export const startup = (params: Record<string, string>, version = 196608): Buffer =>
  frame('', version, ...Object.entries(params).flat(), Buffer.from([0]));
export const sslRequest = (): Buffer => frame('', 80877103);
export const gssencRequest = (): Buffer => frame('', 80877104);
export const password = (token: string): Buffer => frame('p', token);
export const query = (sql: string): Buffer => frame('Q', sql);
export const parse = (name: string, sql: string): Buffer => frame('P', name, sql, int16(0));
export const bind = (portal: string, statement: string, params: string[] = []): Buffer =>
  frame(
    'B',
    portal,
    statement,
    int16(0),
    int16(params.length),
    ...params.flatMap((p) => [Buffer.from(int32(Buffer.byteLength(p))), Buffer.from(p)]),
    int16(0),
  );
export const execute = (portal = '', maxRows = 0): Buffer => frame('E', portal, maxRows);
export const sync = (): Buffer => frame('S');
export const describePortal = (name = ''): Buffer => frame('D', Buffer.from('P'), name);
export const close = (kind: 'S' | 'P', name: string): Buffer => frame('C', Buffer.from(kind), name);
export const flush = (): Buffer => frame('H');

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** A socket with a message queue; `raw` reads single bytes (SSLRequest answers). */
export class WireClient {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  static open(host: string, port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  send(...buffers: Buffer[]): void {
    this.socket.write(Buffer.concat(buffers));
  }

  async byte(timeoutMs = 5000): Promise<string> {
    await this.#until(() => this.#buffer.length >= 1, timeoutMs);
    const b = this.#buffer.subarray(0, 1).toString();
    this.#buffer = this.#buffer.subarray(1);
    return b;
  }

  /** Next message; undefined when the connection closed first. */
  async message(timeoutMs = 5000): Promise<WireMessage | undefined> {
    const complete = () =>
      this.#buffer.length >= 5 && this.#buffer.length >= 1 + this.#buffer.readInt32BE(1);
    await this.#until(() => complete() || this.closed, timeoutMs);
    if (!complete()) return undefined;
    const length = this.#buffer.readInt32BE(1);
    const message = {
      type: String.fromCharCode(this.#buffer[0]!),
      body: Buffer.from(this.#buffer.subarray(5, 1 + length)),
    };
    this.#buffer = this.#buffer.subarray(1 + length);
    return message;
  }

  /** Messages up to and including the next ReadyForQuery (or until close). */
  async untilReady(timeoutMs = 5000): Promise<WireMessage[]> {
    const out: WireMessage[] = [];
    for (;;) {
      const m = await this.message(timeoutMs);
      if (!m) return out;
      out.push(m);
      if (m.type === 'Z') return out;
    }
  }

  /** Resolves when the server closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.#until(() => this.closed, timeoutMs);
  }

  /** Startup + token; returns the messages through the first ReadyForQuery. */
  async login(token: string, params: Record<string, string> = {}): Promise<WireMessage[]> {
    this.send(startup({ user: 'wire', ...params }));
    const auth = await this.message();
    if (auth?.type !== 'R')
      throw new Error(`expected an authentication request, got ${auth?.type}`);
    this.send(password(token));
    return this.untilReady();
  }

  close(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  async #until(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for the server');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Error fields of an ErrorResponse/NoticeResponse body, by field letter. */
export function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const end = body.indexOf(0, at + 1);
    out[String.fromCharCode(body[at]!)] = body.toString('utf8', at + 1, end);
    at = end + 1;
  }
  return out;
}

/** Message types of a response, e.g. `1 2 C Z`. */
export const types = (messages: WireMessage[]): string => messages.map((m) => m.type).join(' ');
