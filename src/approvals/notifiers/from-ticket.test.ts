import { describe, expect, it } from 'vitest';
import type { Ticket } from '../ticket.js';
import { toTicketEvent } from './from-ticket.js';

const ticket: Ticket = {
  id: 'tkt_9',
  connector: 'prod-db',
  requester: {
    issuer: 'https://issuer.example',
    issuerName: 'corp',
    subject: 'u-1',
    name: 'Jane',
    groups: ['eng'],
    agent: false,
  },
  command: "ALTER ROLE app PASSWORD 'hunter2' WHERE id = $1",
  params: ['42', null],
  classes: ['alter_role'],
  rule: 'roles',
  approvers: ['dba'],
  approvalsRequired: 2,
  scope: 'command',
  status: 'denied',
  createdAt: 1000,
  expiresAt: 2000,
  decisions: [
    {
      reviewer: { issuer: 'https://issuer.example', subject: 'u-2', name: 'Ann', groups: ['dba'] },
      action: 'deny',
      rationale: 'no',
      at: 1500,
    },
    {
      reviewer: { issuer: 'https://issuer.example', subject: 'u-3', groups: ['dba'] },
      action: 'approve',
      at: 1600,
    },
  ],
  fingerprint: 'f',
};

describe('toTicketEvent', () => {
  it('maps the stored ticket and runs command and parameters through the mask', () => {
    const event = toTicketEvent('ticket.decided', ticket, 'https://g/t', (text) =>
      text.replace(/'hunter2'/, "'***'"),
    );
    expect(event).toEqual({
      type: 'ticket.decided',
      url: 'https://g/t',
      ticket: {
        id: 'tkt_9',
        connector: 'prod-db',
        status: 'denied',
        requester: { subject: 'u-1', name: 'Jane', agent: false, groups: ['eng'] },
        command: "ALTER ROLE app PASSWORD '***' WHERE id = $1\n-- parameters: $1 = '42', $2 = NULL",
        classes: ['alter_role'],
        rule: 'roles',
        approvers: ['dba'],
        approvalsRequired: 2,
        createdAt: 1000,
        expiresAt: 2000,
        decisions: [
          { reviewer: 'Ann', action: 'deny', rationale: 'no', at: 1500 },
          { reviewer: 'u-3', action: 'approve', at: 1600 },
        ],
      },
    });
  });

  it('does not share arrays with the stored ticket', () => {
    const event = toTicketEvent('ticket.created', ticket, 'u', (t) => t);
    event.ticket.classes.push('x');
    expect(ticket.classes).toEqual(['alter_role']);
  });
});
