import { describe, expect, it } from 'vitest';
import { replayKubernetesCommand } from './replay.js';

describe('replayKubernetesCommand', () => {
  it('shows a denial as kubectl printed it', () => {
    expect(
      replayKubernetesCommand({
        text: 'DELETE /api/v1/namespaces/prod/pods/web',
        decision: { action: 'deny', rule: 'r', reason: 'prod is frozen' },
      }),
    ).toEqual(['Error from server (Forbidden): prod is frozen']);
  });

  it('shows the exchange: request, status, the start of the body', () => {
    const lines = replayKubernetesCommand({
      text: 'GET /api/v1/namespaces/dev/configmaps',
      decision: { action: 'allow', reason: 'default' },
      executedText: 'GET /api/v1/namespaces/dev/configmaps',
      outcome: {
        tag: '200',
        durationMs: 12,
        result: {
          kind: 'exchange',
          method: 'GET',
          target: '/api/v1/namespaces/dev/configmaps',
          status: 200,
          body: '{"kind":"ConfigMapList"',
          truncated: true,
        },
      },
    });
    expect(lines).toEqual([
      'GET /api/v1/namespaces/dev/configmaps → 200',
      '{"kind":"ConfigMapList"\n…',
      '(12 ms)',
    ]);
  });
});
