import { describe, expect, it } from 'vitest';
import { isChannelWebSocket, TerminalCapture, WebSocketFrameReader } from './stream-capture.js';

/** One binary WebSocket frame; masked as a client sends it when `mask` is given. */
function frame(payload: Buffer, mask?: Buffer, fin = true, opcode = 0x2): Buffer {
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (payload.length < 126) head.push(maskBit | payload.length);
  else head.push(maskBit | 126, payload.length >> 8, payload.length & 0xff);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ mask[i % 4]!;
  return Buffer.concat([Buffer.from(head), mask ?? Buffer.alloc(0), body]);
}

const channel = (n: number, text: string) => Buffer.concat([Buffer.from([n]), Buffer.from(text)]);

describe('WebSocketFrameReader', () => {
  it('reads frames split anywhere, unmasks client frames, joins fragments, skips control frames', () => {
    const messages: string[] = [];
    const reader = new WebSocketFrameReader((m) => messages.push(m.toString()));
    const bytes = Buffer.concat([
      frame(Buffer.from('hello'), Buffer.from([1, 2, 3, 4])),
      frame(Buffer.from(''), undefined, true, 0x9), // ping
      frame(Buffer.from('frag-'), undefined, false, 0x2),
      frame(Buffer.from('ment'), undefined, true, 0x0),
      frame(Buffer.from('x'.repeat(300))),
    ]);
    for (let i = 0; i < bytes.length; i += 7) reader.push(bytes.subarray(i, i + 7));
    expect(messages).toEqual(['hello', 'frag-ment', 'x'.repeat(300)]);
  });
});

describe('TerminalCapture', () => {
  it('records stdin, stdout, stderr and resizes as asciicast events', () => {
    const capture = new TerminalCapture({ maxRows: 100, maxBytes: 1000 });
    const mask = Buffer.from([9, 8, 7, 6]);
    capture.fromClient.push(frame(channel(4, '{"Width":120,"Height":40}'), mask));
    capture.fromClient.push(frame(channel(0, 'ls\r'), mask));
    capture.fromServer.push(frame(channel(1, 'a  b\r\n')));
    capture.fromServer.push(frame(channel(2, 'warn\r\n')));
    capture.fromClient.push(frame(channel(4, '{"Width":100,"Height":30}'), mask));
    const result = capture.result();
    expect(result.header).toMatchObject({ version: 2, width: 120, height: 40 });
    expect(result.events.map(([, type, data]) => [type, data])).toEqual([
      ['i', 'ls\r'],
      ['o', 'a  b\r\n'],
      ['o', 'warn\r\n'],
      ['r', '100x30'],
    ]);
    expect(result.truncated).toBe(false);
  });

  it('stops at the byte limit and says so', () => {
    const capture = new TerminalCapture({ maxRows: 100, maxBytes: 10 });
    capture.fromServer.push(frame(channel(1, '12345')));
    capture.fromServer.push(frame(channel(1, '6789012')));
    capture.fromServer.push(frame(channel(1, 'more')));
    const result = capture.result();
    expect(result.events.map((e) => e[2])).toEqual(['12345']);
    expect(result.truncated).toBe(true);
  });

  it('knows the channel protocols', () => {
    expect(isChannelWebSocket('v5.channel.k8s.io')).toBe(true);
    expect(isChannelWebSocket('v4.channel.k8s.io')).toBe(true);
    expect(isChannelWebSocket('SPDY/3.1')).toBe(false);
    expect(isChannelWebSocket(undefined)).toBe(false);
  });
});
