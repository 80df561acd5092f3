import type { TicketEvent, TicketEventTicket } from '../../src/approvals/notifiers/types.js';

/** A realistic event for tests; `ticket` fields may be overridden. */
export function sampleEvent(
  overrides: Partial<Omit<TicketEvent, 'ticket'>> & { ticket?: Partial<TicketEventTicket> } = {},
): TicketEvent {
  const createdAt = Date.UTC(2025, 0, 15, 9, 30, 0);
  return {
    type: overrides.type ?? 'ticket.created',
    url: overrides.url ?? 'https://gatehouse.example.com/tickets/tkt_01',
    ticket: {
      id: 'tkt_01',
      connector: 'prod-db',
      status: 'pending',
      requester: { subject: 'ci-bot@corp', name: 'CI bot', agent: true, groups: ['ci'] },
      command: "DELETE FROM orders WHERE created_at < now() - interval '1 year'",
      classes: ['delete', 'write'],
      rule: 'deletes-need-review',
      approvers: ['dba'],
      approvalsRequired: 1,
      createdAt,
      expiresAt: createdAt + 3_600_000,
      ...overrides.ticket,
    },
  };
}
