import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, slackMessage } from '../../src/approvals/notifiers/slack-format.js';
import { sampleEvent } from '../support/notifier-events.js';

type Block = { type: string; [key: string]: unknown };

function blocks(message: Record<string, unknown>): Block[] {
  return message['blocks'] as Block[];
}

describe('slackMessage', () => {
  it('has a header, requester with badge, connector, command, rule and a Review button', () => {
    const message = slackMessage(sampleEvent());
    const [header, section, command, actions, context] = blocks(message);
    expect(header).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect((header!['text'] as { text: string }).text).toBe('Review requested · prod-db');
    const fields = (section!['fields'] as Array<{ text: string }>).map((f) => f.text);
    expect(fields).toContain('*Requester*\nCI bot (ci-bot@corp) · 🤖 agent');
    expect(fields).toContain('*Connector*\nprod-db');
    expect(fields).toContain('*Rule*\ndeletes-need-review');
    expect(command).toMatchObject({
      type: 'rich_text',
      elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text' }] }],
    });
    expect(JSON.stringify(command)).toContain('DELETE FROM orders');
    expect(actions).toMatchObject({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Review' },
          url: 'https://gatehouse.example.com/tickets/tkt_01',
          style: 'primary',
        },
      ],
    });
    expect(JSON.stringify(context)).toContain('tkt_01');
    expect(message['text']).toBe('Review requested · prod-db: CI bot (ci-bot@corp) · agent');
  });

  it('escapes mrkdwn control characters in user-controlled text', () => {
    expect(escapeMrkdwn('<!channel> & <https://evil|click>')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://evil|click&gt;',
    );
    const message = slackMessage(
      sampleEvent({
        ticket: {
          requester: { subject: '<!here>', name: '<!channel>', agent: false, groups: [] },
          rule: '<https://evil.example|ok>',
        },
      }),
    );
    const json = JSON.stringify(message);
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<!here>');
    expect(json).not.toContain('<https://evil');
  });

  it('truncates a huge command and stays within Slack limits', () => {
    const message = slackMessage(
      sampleEvent({ ticket: { command: 'SELECT 1;\n'.repeat(10_000) } }),
    );
    const text = JSON.stringify(blocks(message)[2]);
    expect(text.length).toBeLessThan(3000);
    expect(text).toContain('more characters');
  });

  it('reports the outcome of a decided ticket and drops a button with a non-http link', () => {
    const message = slackMessage(
      sampleEvent({
        type: 'ticket.decided',
        url: 'javascript:alert(1)',
        ticket: {
          status: 'approved',
          decisions: [{ reviewer: 'Ann', action: 'approve', at: 0 }],
        },
      }),
    );
    const types = blocks(message).map((b) => b.type);
    expect(types).not.toContain('actions');
    expect(JSON.stringify(message)).toContain('approve by Ann');
  });
});
