import type { Ticket } from '../ticket.js';
import type { TicketEvent, TicketEventType } from './types.js';

/**
 * Builds the notification for a stored ticket. `mask` is required: the ticket keeps the exact
 * command, and notifications leave the gateway, so they carry the text the audit log shows.
 */
export function toTicketEvent(
  type: TicketEventType,
  ticket: Ticket,
  url: string,
  mask: (text: string) => string,
): TicketEvent {
  const params = ticket.params?.length
    ? `\n-- parameters: ${ticket.params.map((p, i) => `$${i + 1} = ${p === null ? 'NULL' : `'${p}'`}`).join(', ')}`
    : '';
  return {
    type,
    url,
    ticket: {
      id: ticket.id,
      connector: ticket.connector,
      status: ticket.status,
      requester: {
        subject: ticket.requester.subject,
        ...(ticket.requester.name !== undefined && { name: ticket.requester.name }),
        agent: ticket.requester.agent,
        groups: [...ticket.requester.groups],
      },
      command: mask(`${ticket.command}${params}`),
      classes: [...ticket.classes],
      rule: ticket.rule,
      approvers: [...ticket.approvers],
      approvalsRequired: ticket.approvalsRequired,
      createdAt: ticket.createdAt,
      expiresAt: ticket.expiresAt,
      decisions: ticket.decisions.map((d) => ({
        reviewer: d.reviewer.name ?? d.reviewer.subject,
        action: d.action,
        ...(d.rationale !== undefined && { rationale: d.rationale }),
        at: d.at,
      })),
    },
  };
}
