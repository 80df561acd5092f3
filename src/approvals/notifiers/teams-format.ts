import {
  clip,
  eventTitle,
  formatTime,
  outcomeLine,
  requesterBadge,
  requesterName,
  truncate,
} from './text.js';
import type { TicketEvent } from './types.js';

/**
 * Microsoft Teams message for a Workflows ("Post to a channel when a webhook request is
 * received") webhook: a `message` with one Adaptive Card attachment. Card version 1.4, the
 * highest the Workflows webhook renders. User-controlled text only goes into `TextRun`s,
 * which Adaptive Cards never parse as Markdown, so nobody can forge links or formatting.
 * Schema: https://adaptivecards.io/explorer/
 */

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
const CARD_VERSION = '1.4';
const COMMAND_LIMITS = { maxChars: 2500, maxLines: 30 };
const VALUE_MAX = 1000;

function run(text: string, style: Record<string, unknown> = {}) {
  return { type: 'TextRun', text, ...style };
}

function line(label: string, value: string, style: Record<string, unknown> = {}) {
  return {
    type: 'RichTextBlock',
    inlines: [run(`${label}: `, { weight: 'Bolder' }), run(clip(value, VALUE_MAX), style)],
  };
}

/** The JSON body posted to a Teams Workflows webhook for one event. */
export function teamsMessage(event: TicketEvent): Record<string, unknown> {
  const { ticket } = event;
  const agent = ticket.requester.agent;
  const body: Array<Record<string, unknown>> = [
    {
      type: 'RichTextBlock',
      inlines: [run(clip(eventTitle(event), 200), { size: 'Large', weight: 'Bolder' })],
    },
    {
      type: 'RichTextBlock',
      inlines: [
        run('Requester: ', { weight: 'Bolder' }),
        run(`${clip(requesterName(event), VALUE_MAX)} · `),
        run(requesterBadge(agent), { weight: 'Bolder', color: agent ? 'Warning' : 'Accent' }),
      ],
    },
    line('Connector', ticket.connector),
    line('Rule', ticket.rule ?? '—'),
    line('Classes', ticket.classes.join(', ') || '—'),
    line('Approvers', `${ticket.approvers.join(', ') || '—'} (${ticket.approvalsRequired} needed)`),
    event.type === 'ticket.created'
      ? line('Expires', formatTime(ticket.expiresAt))
      : line('Status', ticket.status),
    {
      type: 'Container',
      style: 'emphasis',
      items: [
        {
          type: 'RichTextBlock',
          inlines: [
            run(truncate(ticket.command, COMMAND_LIMITS) || '(empty)', { fontType: 'Monospace' }),
          ],
        },
      ],
    },
  ];
  if (event.type !== 'ticket.created') {
    body.push({ type: 'RichTextBlock', inlines: [run(clip(outcomeLine(event), 2000))] });
  }
  body.push({
    type: 'RichTextBlock',
    inlines: [
      run(`Ticket ${ticket.id} · requested ${formatTime(ticket.createdAt)}`, {
        isSubtle: true,
        size: 'Small',
      }),
    ],
  });
  const content: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: CARD_VERSION,
    msteams: { width: 'Full' },
    body,
  };
  if (/^https?:\/\//i.test(event.url)) {
    content['actions'] = [
      {
        type: 'Action.OpenUrl',
        title: event.type === 'ticket.created' ? 'Review' : 'Open ticket',
        url: event.url,
      },
    ];
  }
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content }],
  };
}
