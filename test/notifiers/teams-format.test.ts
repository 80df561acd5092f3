import { describe, expect, it } from 'vitest';
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  teamsMessage,
} from '../../src/approvals/notifiers/teams-format.js';
import { sampleEvent } from '../support/notifier-events.js';

type Element = { type: string; [key: string]: unknown };

function card(message: Record<string, unknown>): Record<string, unknown> {
  const attachments = message['attachments'] as Array<Record<string, unknown>>;
  expect(attachments).toHaveLength(1);
  expect(attachments[0]!['contentType']).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
  return attachments[0]!['content'] as Record<string, unknown>;
}

/** Every TextBlock/TextRun text in the card: what a reader sees. */
function texts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(texts);
  if (typeof node !== 'object' || node === null) return [];
  const el = node as Element;
  const own = el.type === 'TextRun' || el.type === 'TextBlock' ? [String(el['text'])] : [];
  return [...own, ...Object.values(el).flatMap(texts)];
}

describe('teamsMessage', () => {
  it('is a Workflows webhook message with an Adaptive Card 1.4 and a Review action', () => {
    const message = teamsMessage(sampleEvent());
    expect(message['type']).toBe('message');
    const content = card(message);
    expect(content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(content['actions']).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Review',
        url: 'https://gatehouse.example.com/tickets/tkt_01',
      },
    ]);
    const shown = texts(content['body']).join('|');
    expect(shown).toContain('Review requested · prod-db');
    expect(shown).toContain('CI bot (ci-bot@corp) · |🤖 agent');
    expect(shown).toContain('deletes-need-review');
    expect(shown).toContain('DELETE FROM orders');
  });

  it('puts user text only in TextRuns, which Teams never renders as Markdown', () => {
    const content = card(
      teamsMessage(
        sampleEvent({ ticket: { command: '[click](https://evil.example) **x**', rule: '_r_' } }),
      ),
    );
    const blocks = JSON.stringify(content['body']);
    expect(blocks).not.toContain('"TextBlock"');
    expect(blocks).not.toContain('"FactSet"');
    const monospace = JSON.stringify(content['body']).match(/"fontType":"Monospace"/g);
    expect(monospace).toHaveLength(1);
  });

  it('truncates a huge command', () => {
    const content = card(teamsMessage(sampleEvent({ ticket: { command: 'x'.repeat(100_000) } })));
    expect(JSON.stringify(content).length).toBeLessThan(6000);
  });
});
