/**
 * What an exec/attach stream showed, for the audit record: the WebSocket frames of Kubernetes'
 * channel protocols (`v4`/`v5.channel.k8s.io`: each binary message starts with its channel —
 * 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize) read off both directions as they pass, into
 * an asciicast v2 capture within the audit limits. Read-only: the bytes themselves are relayed
 * untouched by the listener. SPDY streams are not read (their command is recorded, not output).
 */
import type { CapturedTerminal, CaptureLimits, TerminalEvent } from '../../../core/command.js';

/** Incremental RFC 6455 frame reader: hands each complete data message to `onMessage`. */
export class WebSocketFrameReader {
  #buffer: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #stopped = false;
  readonly #onMessage: (payload: Buffer) => void;
  readonly #maxBuffer: number;

  constructor(onMessage: (payload: Buffer) => void, maxBuffer = 1024 * 1024) {
    this.#onMessage = onMessage;
    this.#maxBuffer = maxBuffer;
  }

  /** Stops reading (capture full, or something unexpected): later chunks are ignored. */
  stop(): void {
    this.#stopped = true;
    this.#buffer = Buffer.alloc(0);
    this.#fragments = [];
  }

  push(chunk: Buffer): void {
    if (this.#stopped) return;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const buffer = this.#buffer;
      if (buffer.length < 2) break;
      const fin = (buffer[0]! & 0x80) !== 0;
      const opcode = buffer[0]! & 0x0f;
      const masked = (buffer[1]! & 0x80) !== 0;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) break;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) break;
        const big = buffer.readBigUInt64BE(2);
        if (big > BigInt(this.#maxBuffer)) {
          this.stop();
          return;
        }
        length = Number(big);
        offset = 10;
      }
      const maskAt = offset;
      if (masked) offset += 4;
      if (length > this.#maxBuffer) {
        this.stop();
        return;
      }
      if (buffer.length < offset + length) break;
      const payload = Buffer.from(buffer.subarray(offset, offset + length));
      if (masked) {
        for (let i = 0; i < payload.length; i++)
          payload[i] = payload[i]! ^ buffer[maskAt + (i % 4)]!;
      }
      this.#buffer = buffer.subarray(offset + length);
      if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) {
        this.#fragments.push(payload);
        if (fin) {
          const message = Buffer.concat(this.#fragments);
          this.#fragments = [];
          this.#onMessage(message);
        }
      }
      // Control frames (close, ping, pong) carry no terminal data.
    }
    if (this.#buffer.length > this.#maxBuffer) this.stop();
  }
}

/** Builds the asciicast of one channel-protocol stream, both directions, within the limits. */
export class TerminalCapture {
  readonly #events: TerminalEvent[] = [];
  readonly #started = Date.now();
  readonly #limits: CaptureLimits;
  #bytes = 0;
  #truncated = false;
  #width = 80;
  #height = 24;
  readonly fromClient: WebSocketFrameReader;
  readonly fromServer: WebSocketFrameReader;

  constructor(limits: CaptureLimits) {
    this.#limits = limits;
    this.fromClient = new WebSocketFrameReader((message) => this.#message(message, true));
    this.fromServer = new WebSocketFrameReader((message) => this.#message(message, false));
  }

  #message(message: Buffer, fromClient: boolean): void {
    if (message.length < 1) return;
    const channel = message[0]!;
    const data = message.subarray(1).toString('utf8');
    if (data === '') return;
    let event: TerminalEvent | undefined;
    // Whole seconds: audit records hold integers only (canonical JSON of the hash chain).
    const at = Math.floor((Date.now() - this.#started) / 1000);
    if (fromClient && channel === 0) event = [at, 'i', data];
    else if (!fromClient && (channel === 1 || channel === 2)) event = [at, 'o', data];
    else if (fromClient && channel === 4) {
      try {
        const size = JSON.parse(data) as { Width?: unknown; Height?: unknown };
        if (typeof size.Width === 'number' && typeof size.Height === 'number') {
          if (this.#events.length === 0) {
            this.#width = size.Width;
            this.#height = size.Height;
            return;
          }
          event = [at, 'r', `${size.Width}x${size.Height}`];
        }
      } catch {
        return;
      }
    }
    if (!event) return;
    const size = Buffer.byteLength(event[2]);
    if (this.#bytes + size > this.#limits.maxBytes) {
      this.#truncated = true;
      this.fromClient.stop();
      this.fromServer.stop();
      return;
    }
    this.#bytes += size;
    this.#events.push(event);
  }

  result(): CapturedTerminal {
    return {
      kind: 'terminal',
      header: {
        version: 2,
        width: this.#width,
        height: this.#height,
        timestamp: Math.floor(this.#started / 1000),
      },
      events: [...this.#events],
      truncated: this.#truncated,
    };
  }
}

/** Whether a 101 answer speaks a channel protocol this capture reads. */
export function isChannelWebSocket(protocol: string | undefined): boolean {
  return protocol !== undefined && /^v[45]\.channel\.k8s\.io$/.test(protocol.trim());
}
