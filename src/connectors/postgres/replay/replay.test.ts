import { describe, expect, it } from 'vitest';
import type { SessionWithCommands } from '../../../audit/record/records.js';
import { formatReplay } from '../../../audit/session-replay.js';
import { replayFor } from '../../registry.js';
import { replayPostgresCommand } from './replay.js';

const base = { at: 1_700_000_000_000, classes: ['read'], unclassifiable: false };

/** One of each: capped rows, a denial, a hold, a modified command, an error, no outcome. */
const SESSION: SessionWithCommands = {
  id: 's1',
  connector: 'pg',
  protocol: 'postgres',
  identity: {
    issuer: 'i',
    issuerName: 'corp',
    subject: 'u',
    name: 'Ann',
    groups: [],
    agent: false,
  },
  client: { address: '127.0.0.1', port: 5, tls: true },
  startedAt: 1_700_000_000_000,
  endedAt: 1_700_000_100_000,
  endReason: 'client closed',
  commandCount: 7,
  commands: [
    {
      ...base,
      seq: 1,
      text: 'select 1',
      decision: { action: 'allow', reason: 'r', rule: 'x' },
      executedText: 'select 1',
      outcome: {
        tag: 'SELECT 2',
        rows: 5,
        durationMs: 3,
        result: {
          columns: ['id', 'name'],
          rows: [
            ['1', 'a\nb'],
            ['22', null],
          ],
          truncated: true,
          numeric: [true, false],
        },
      },
    },
    {
      ...base,
      seq: 2,
      text: 'drop table t',
      decision: { action: 'deny', reason: 'no drops', rule: 'no-drops' },
    },
    {
      ...base,
      seq: 3,
      text: 'delete from t',
      decision: { action: 'review', reason: 'held' },
      ticketId: 'T-1',
    },
    {
      ...base,
      seq: 4,
      text: 'insert',
      decision: { action: 'review', reason: 'held' },
      ticketId: 'T-2',
      executedText: 'insert 2',
      outcome: { tag: 'INSERT 0 1', rows: 1, durationMs: 1 },
    },
    {
      ...base,
      seq: 5,
      text: 'select 1/0',
      decision: { action: 'allow', reason: 'r' },
      executedText: 'select 1/0',
      outcome: { error: { code: '22012', message: 'division by zero' }, durationMs: 2 },
    },
    {
      ...base,
      seq: 6,
      text: 'select 2',
      decision: { action: 'allow', reason: 'r' },
      executedText: 'select 2',
    },
    {
      ...base,
      seq: 7,
      text: 'select',
      decision: { action: 'allow', reason: 'r' },
      executedText: 'select',
      outcome: {
        tag: 'SELECT 0',
        rows: 0,
        durationMs: 0,
        result: { columns: [], rows: [], truncated: false },
      },
    },
  ],
};

describe('replayPostgresCommand', () => {
  it('replays a session byte for byte as the audit layer printed it before the module split', () => {
    const expected = [
      '-- session s1: Ann (human, corp) on pg (postgres)',
      '-- from 127.0.0.1:5 with TLS, started 2023-11-14T22:13:20.000Z',
      '',
      '-- #1 2023-11-14T22:13:20.000Z allow by rule "x"',
      'select 1',
      ' id | name ',
      '----+------',
      '  1 | a+',
      '    | b',
      ' 22 | ',
      '(5 rows)',
      '',
      '-- the record holds the first 2 row(s) only',
      'Time: 3 ms',
      '',
      '-- #2 2023-11-14T22:13:20.000Z deny by rule "no-drops"',
      'drop table t',
      'ERROR:  gatehouse: denied by rule "no-drops"',
      'DETAIL:  no drops',
      '',
      '-- #3 2023-11-14T22:13:20.000Z review by connector default, ticket T-1',
      'delete from t',
      'ERROR:  gatehouse: not executed: held for review and not approved (ticket T-1)',
      'DETAIL:  held',
      '',
      '-- #4 2023-11-14T22:13:20.000Z review by connector default, ticket T-2',
      'insert',
      '-- the reviewer changed it; this ran instead:',
      'insert 2',
      'INSERT 0 1',
      'Time: 1 ms',
      '',
      '-- #5 2023-11-14T22:13:20.000Z allow by connector default',
      'select 1/0',
      'ERROR:  division by zero',
      'Time: 2 ms',
      '',
      '-- #6 2023-11-14T22:13:20.000Z allow by connector default',
      'select 2',
      '-- no outcome recorded (the session ended or the store was unavailable)',
      '',
      '-- #7 2023-11-14T22:13:20.000Z allow by connector default',
      'select',
      '--',
      '(0 rows)',
      '',
      'Time: 0 ms',
      '',
      '-- session ended 2023-11-14T22:15:00.000Z: client closed',
    ];
    expect(formatReplay(SESSION, replayFor('postgres'))).toBe(`${expected.join('\n')}\n`);
  });

  it('shows a COPY … TO STDOUT capture as the lines psql printed, then the tag', () => {
    const lines = replayPostgresCommand({
      text: 'copy t to stdout',
      decision: { action: 'allow', reason: 'r' },
      executedText: 'copy t to stdout',
      outcome: {
        tag: 'COPY 3',
        rows: 3,
        durationMs: 4,
        result: {
          kind: 'terminal',
          header: { version: 2, width: 80, height: 24 },
          events: [
            [0, 'o', '1\t[redacted]\n'],
            [0, 'o', '2\t\\N\n'],
          ],
          truncated: true,
        },
      },
    });
    expect(lines).toEqual([
      '1\t[redacted]\n2\t\\N',
      '-- the record holds the first lines only',
      'COPY 3',
      'Time: 4 ms',
    ]);
  });

  it('is the replay the registry hands out for postgres', () => {
    expect(replayFor('postgres')).toBe(replayPostgresCommand);
    expect(replayFor('no-such-protocol')).toBeUndefined();
    expect(replayFor('constructor')).toBeUndefined();
  });
});
