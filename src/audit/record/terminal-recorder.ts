import type { CapturedTerminal, CaptureLimits, TerminalEvent } from '../../core/command.js';

/** How a `TerminalRecorder` starts: the capture limits, the terminal size, the clock. */
export interface TerminalRecorderOptions {
  /** `GateSession.captureLimits`: event data is kept until `maxBytes` UTF-8 bytes. */
  limits: CaptureLimits;
  /** Columns and rows of the terminal (a pty's size); 80×24 when the client asked for none. */
  width?: number;
  height?: number;
  /** Milliseconds since the epoch; `Date.now` unless a test passes its own clock. */
  now?: () => number;
}

type Stream = 'o' | 'i';

/**
 * Records one terminal stream (a command's output, an interactive shell) as asciicast v2,
 * protocol-neutral: a connector feeds it what the client typed (`input`), what it was shown
 * (`output`), window changes (`resize`) and how it ended (`exit`), and hands `result()` to
 * `GateSession.complete` as `CommandOutcome.result`. Event times are seconds since the
 * recorder was created. Bytes are decoded as UTF-8 per stream, so a character split across two
 * chunks is recorded whole. Data beyond `limits.maxBytes` is left out and the capture is marked
 * `truncated`; the stream keeps flowing to the client (the recorder never blocks or throws).
 */
export class TerminalRecorder {
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #header: CapturedTerminal['header'];
  readonly #events: TerminalEvent[] = [];
  readonly #decoders: Record<Stream, TextDecoder> = {
    o: new TextDecoder('utf-8', { fatal: false }),
    i: new TextDecoder('utf-8', { fatal: false }),
  };
  #budget: number;
  #truncated = false;

  constructor(options: TerminalRecorderOptions) {
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#budget = Math.max(0, options.limits.maxBytes);
    this.#header = {
      version: 2,
      width: whole(options.width, 80),
      height: whole(options.height, 24),
      timestamp: Math.floor(this.#startedAt / 1000),
    };
  }

  /** What the client was shown (stdout and stderr alike). */
  output(data: Uint8Array | string): void {
    this.#stream('o', data);
  }

  /** What the client typed (an interactive session's keystrokes, a command's stdin). */
  input(data: Uint8Array | string): void {
    this.#stream('i', data);
  }

  /** The terminal's new size; the first one before any event also sets the header's size. */
  resize(width: number, height: number): void {
    const w = whole(width, this.#header.width);
    const h = whole(height, this.#header.height);
    if (this.#events.length === 0) {
      this.#header.width = w;
      this.#header.height = h;
      return;
    }
    this.#push('r', `${w}x${h}`);
  }

  /** A marker (`m`) event, e.g. where a reviewer's approval let the stream through. */
  marker(label: string): void {
    this.#push('m', label);
  }

  /** How the stream ended: a marker `exit <status>` or `signal <name>`. */
  exit(status: number | undefined, signal?: string): void {
    this.#flush();
    if (signal) this.#push('m', `signal ${signal}`);
    else if (status !== undefined) this.#push('m', `exit ${status}`);
  }

  /** True once data was left out. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /** The capture so far, as `CommandOutcome.result` takes it (a copy: recording may go on). */
  result(): CapturedTerminal {
    this.#flush();
    return {
      kind: 'terminal',
      header: { ...this.#header },
      events: this.#events.map((event) => [...event] as TerminalEvent),
      truncated: this.#truncated,
    };
  }

  #stream(type: Stream, data: Uint8Array | string): void {
    const text =
      typeof data === 'string' ? data : this.#decoders[type].decode(data, { stream: true });
    if (text !== '') this.#push(type, text);
  }

  #flush(): void {
    for (const type of ['o', 'i'] as const) {
      const rest = this.#decoders[type].decode();
      if (rest !== '') this.#push(type, rest);
    }
  }

  #push(type: TerminalEvent[1], data: string): void {
    if (this.#truncated) return;
    const size = Buffer.byteLength(data);
    const time = Math.max(0, (this.#now() - this.#startedAt) / 1000);
    if (size > this.#budget) {
      const kept = cutToBytes(data, this.#budget);
      if (kept !== '') this.#events.push([time, type, kept]);
      this.#budget = 0;
      this.#truncated = true;
      return;
    }
    this.#budget -= size;
    const last = this.#events.at(-1);
    // Consecutive chunks of one stream within a millisecond are one event (fewer, larger events).
    if (last && last[1] === type && type !== 'r' && type !== 'm' && time - last[0] < 0.001) {
      last[2] += data;
      return;
    }
    this.#events.push([time, type, data]);
  }
}

/** The longest prefix of `text` within `bytes` UTF-8 bytes, never splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  if (bytes <= 0) return '';
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (used + size > bytes) break;
    used += size;
    end += char.length;
  }
  return text.slice(0, end);
}

function whole(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 10_000
    ? value
    : fallback;
}

/** The capture as an asciicast v2 file (header line, one JSON event per line), for players. */
export function toAsciicast(terminal: CapturedTerminal): string {
  const lines = [JSON.stringify(terminal.header)];
  for (const event of terminal.events) lines.push(JSON.stringify(event));
  return `${lines.join('\n')}\n`;
}
