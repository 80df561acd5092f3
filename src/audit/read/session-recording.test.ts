import { describe, expect, it } from 'vitest';
import type { SessionWithCommands, StoredCommand } from '../record/records.js';
import { sessionRecording } from './session-recording.js';

const at = 1_700_000_000_000;

function command(seq: number, offsetMs: number, events: StoredCommand['outcome']): StoredCommand {
  return {
    seq,
    at: at + offsetMs,
    text: `cmd ${seq}`,
    classes: ['exec'],
    unclassifiable: false,
    decision: { action: 'allow', reason: 'r' },
    executedText: `cmd ${seq}`,
    ...(events && { outcome: events }),
  };
}

const session = (commands: StoredCommand[]): SessionWithCommands => ({
  id: 's',
  connector: 'ssh-prod',
  protocol: 'ssh',
  identity: { issuer: 'i', issuerName: 'dev', subject: 'u', groups: [], agent: true },
  client: { address: '127.0.0.1', tls: true },
  startedAt: at,
  commandCount: commands.length,
  commands,
});

describe('sessionRecording', () => {
  it('joins the terminal recordings of a session into one asciicast v2 stream', () => {
    const text = sessionRecording(
      session([
        command(1, 0, {
          durationMs: 5,
          tag: 'exit 0',
          result: {
            kind: 'terminal',
            header: { version: 2, width: 100, height: 30 },
            events: [[0.5, 'o', 'one\r\n']],
            truncated: false,
          },
        }),
        // Denied: no outcome, nothing to play.
        command(2, 1000, undefined),
        command(3, 2000, {
          durationMs: 5,
          tag: 'exit 1',
          result: {
            kind: 'terminal',
            header: { version: 2, width: 80, height: 24 },
            events: [
              [0.25, 'o', 'three\r\n'],
              [0.5, 'm', 'exit 1'],
            ],
            truncated: true,
          },
        }),
      ]),
    );
    const lines = text
      ?.trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { version: 2, width: 100, height: 30, timestamp: 1_700_000_000 },
      [0, 'm', '#1 cmd 1'],
      [0.5, 'o', 'one\r\n'],
      [2, 'm', '#3 cmd 3'],
      [2.25, 'o', 'three\r\n'],
      [2.5, 'm', 'exit 1'],
    ]);
  });

  it('is undefined for a session without terminal recordings', () => {
    expect(sessionRecording(session([command(1, 0, { durationMs: 1, tag: 'SELECT 1' })]))).toBe(
      undefined,
    );
  });
});
