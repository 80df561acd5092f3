import {
  clip,
  eventTitle,
  formatTime,
  outcomeLine,
  requesterBadge,
  requesterLine,
  requesterName,
  truncate,
} from './text.js';
import type { TicketEvent } from './types.js';

/**
 * Slack incoming-webhook message in Block Kit. User-controlled text goes either through
 * `escapeMrkdwn` or into a `rich_text` element, which Slack never parses as markup, so a
 * command or a display name cannot mention `@channel` or forge a link.
 * Block Kit reference: https://docs.slack.dev/reference/block-kit/blocks
 */

/** Slack's documented limits for the elements used here. */
const HEADER_MAX = 150;
const FIELD_MAX = 2000;
const BUTTON_URL_MAX = 3000;
const COMMAND_LIMITS = { maxChars: 2500, maxLines: 30 };

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function field(label: string, value: string) {
  return { type: 'mrkdwn', text: `*${label}*\n${clip(escapeMrkdwn(value), FIELD_MAX - 40)}` };
}

/** Slack rejects the whole message for a bad button URL, so only http(s) links get a button. */
function linkable(url: string): boolean {
  return /^https?:\/\//i.test(url) && url.length <= BUTTON_URL_MAX;
}

/** The JSON body posted to a Slack incoming webhook for one event. */
export function slackMessage(event: TicketEvent): Record<string, unknown> {
  const { ticket } = event;
  const title = eventTitle(event);
  const command = truncate(ticket.command, COMMAND_LIMITS) || '(empty)';
  const fields = [
    field('Requester', `${requesterName(event)} · ${requesterBadge(ticket.requester.agent)}`),
    field('Connector', ticket.connector),
    field('Rule', ticket.rule ?? '—'),
    field('Classes', ticket.classes.join(', ') || '—'),
    field(
      'Approvers',
      `${ticket.approvers.join(', ') || '—'} (${ticket.approvalsRequired} needed)`,
    ),
    event.type === 'ticket.created'
      ? field('Expires', formatTime(ticket.expiresAt))
      : field('Status', ticket.status),
  ];
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, HEADER_MAX), emoji: true } },
    { type: 'section', fields },
    {
      type: 'rich_text',
      elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text', text: command }] }],
    },
  ];
  if (event.type !== 'ticket.created') {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(escapeMrkdwn(outcomeLine(event)), 2900) },
    });
  }
  if (linkable(event.url)) {
    const button: Record<string, unknown> = {
      type: 'button',
      action_id: 'gatehouse_open_ticket',
      text: {
        type: 'plain_text',
        text: event.type === 'ticket.created' ? 'Review' : 'Open ticket',
      },
      url: event.url,
    };
    if (event.type === 'ticket.created') button['style'] = 'primary';
    blocks.push({ type: 'actions', elements: [button] });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: escapeMrkdwn(`Ticket ${ticket.id} · requested ${formatTime(ticket.createdAt)}`),
      },
    ],
  });
  // `text` is what Slack shows in push notifications and to clients without Block Kit.
  const fallback = `${title}: ${requesterLine(event)}`;
  return { text: clip(escapeMrkdwn(fallback), 3000), blocks };
}
