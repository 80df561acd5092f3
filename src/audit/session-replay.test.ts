import { describe, expect, it } from 'vitest';
import type { CapturedResult } from '../core/command.js';
import { replayPlainly } from './plain-replay.js';
import type { SessionWithCommands, StoredCommand } from './record/records.js';
import { formatCommand, formatReplay } from './session-replay.js';

const at = 1_700_000_000_000;
const ran = (result: CapturedResult, extra: Partial<StoredCommand['outcome']> = {}) =>
  ({
    seq: 1,
    at,
    text: 'cmd',
    classes: [],
    unclassifiable: false,
    decision: { action: 'allow', reason: 'r' },
    executedText: 'cmd',
    outcome: { durationMs: 4, result, ...extra },
  }) satisfies StoredCommand;

describe('formatReplay', () => {
  const session: SessionWithCommands = {
    id: 's',
    connector: 'box',
    protocol: 'ssh',
    identity: { issuer: 'i', issuerName: 'corp', subject: 'u', groups: [], agent: true },
    client: { address: '10.0.0.1', tls: false },
    startedAt: at,
    commandCount: 1,
    commands: [
      ran({
        kind: 'terminal',
        header: { version: 2, width: 80, height: 24 },
        events: [],
        truncated: false,
      }),
    ],
  };

  it('asks the renderer it is given for what the client was shown', () => {
    const seen: string[] = [];
    const text = formatReplay(session, (command) => {
      seen.push(command.text);
      return ['<shown>'];
    });
    expect(seen).toEqual(['cmd']);
    expect(text).toBe(
      [
        '-- session s: u (agent, corp) on box (ssh)',
        '-- from 10.0.0.1 without TLS, started 2023-11-14T22:13:20.000Z',
        '',
        '-- #1 2023-11-14T22:13:20.000Z allow by connector default',
        'cmd',
        '<shown>',
        '',
        '-- session still open (or its end was not recorded)',
        '',
      ].join('\n'),
    );
  });

  it('says so itself when nothing about the outcome was recorded', () => {
    const { outcome: _, ...open } = ran({ columns: [], rows: [], truncated: false });
    expect(formatCommand(open, () => ['never'])).toContain('-- no outcome recorded');
  });
});

describe('replayPlainly', () => {
  it('renders a table as plain rows, with the real count and the cap', () => {
    const command = ran(
      {
        columns: ['id', 'note'],
        rows: [
          ['1', 'a\nb'],
          ['2', null],
        ],
        truncated: true,
      },
      { rows: 9 },
    );
    expect(replayPlainly(command)).toEqual([
      'id | note',
      '1 | a\\nb',
      '2 | ',
      '(9 rows)',
      '-- the record holds the first 2 row(s) only',
      '-- took 4 ms',
    ]);
  });

  it('renders a terminal stream as the text it printed', () => {
    const command = ran({
      kind: 'terminal',
      header: { version: 2, width: 80, height: 24 },
      events: [
        [0.1, 'i', 'ls\r'],
        [0.2, 'o', 'a.txt\r\nb.txt\r\n'],
        [0.3, 'r', '100x30'],
      ],
      truncated: false,
    });
    expect(replayPlainly(command)).toEqual(['a.txt', 'b.txt', '-- took 4 ms']);
  });

  it('renders an exchange as a status line and its body excerpt', () => {
    const command = ran(
      {
        kind: 'exchange',
        method: 'GET',
        target: '/api/v1/pods',
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"items":[]}',
        truncated: true,
      },
      { tag: '200 OK' },
    );
    expect(replayPlainly(command)).toEqual([
      'GET /api/v1/pods -> 200',
      '{"items":[]}',
      '-- the record holds the start of the response only',
      '-- took 4 ms',
    ]);
  });

  it('shows the status or the error when nothing was captured, and refusals', () => {
    const { result: _, ...bare } = ran({ columns: [], rows: [], truncated: false }).outcome;
    const base = ran({ columns: [], rows: [], truncated: false });
    expect(replayPlainly({ ...base, outcome: { ...bare, tag: 'done' } })).toEqual([
      'done',
      '-- took 4 ms',
    ]);
    expect(
      replayPlainly({ ...base, outcome: { ...bare, error: { code: 'E1', message: 'boom' } } }),
    ).toEqual(['error E1: boom', '-- took 4 ms']);
    const { executedText: __, outcome: ___, ...refused } = base;
    expect(
      replayPlainly({ ...refused, decision: { action: 'deny', rule: 'no', reason: 'why' } }),
    ).toEqual(['-- gatehouse: denied by rule "no": why']);
    expect(
      replayPlainly({ ...refused, decision: { action: 'review', reason: 'held' }, ticketId: 'T' }),
    ).toEqual(['-- gatehouse: not executed: held for review and not approved (ticket T): held']);
  });
});
