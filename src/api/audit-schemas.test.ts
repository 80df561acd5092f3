import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { CapturedResult } from '../core/command.js';
import { sessionDetailSchema } from './audit-schemas.js';

describe('sessionDetailSchema', () => {
  it('lets every captured result shape through the response serializer intact', async () => {
    const results: CapturedResult[] = [
      { columns: ['a', 'b'], rows: [['1', null]], truncated: false, numeric: [true, false] },
      {
        kind: 'terminal',
        header: { version: 2, width: 80, height: 24, timestamp: 5 },
        events: [
          [0.5, 'o', 'hi'],
          [1, 'r', '80x24'],
        ],
        truncated: true,
      },
      {
        kind: 'exchange',
        method: 'GET',
        target: '/x',
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{}',
        truncated: false,
      },
    ];
    const app = Fastify();
    app.get('/', { schema: { response: { 200: sessionDetailSchema } } }, async () => ({
      id: 's',
      commands: results.map((result, seq) => ({ seq, outcome: { durationMs: 1, result } })),
    }));
    const body = (await app.inject('/')).json() as {
      commands: Array<{ outcome: { result: unknown } }>;
    };
    expect(body.commands.map((c) => c.outcome.result)).toEqual(results);
    await app.close();
  });
});
