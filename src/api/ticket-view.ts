import { ineligibility } from '../approvals/review-decision.js';
import { effectiveStatus, isSamePerson, reviewerFrom, type Ticket } from '../approvals/ticket.js';
import type { Identity } from '../core/identity.js';

/** A ticket as the API returns it: effective status, link, and whether the caller may decide. */
export function ticketView(ticket: Ticket, viewer: Identity, now: number, url: string) {
  const refusal = ineligibility(ticket, reviewerFrom(viewer), now);
  return {
    id: ticket.id,
    url,
    connector: ticket.connector,
    status: effectiveStatus(ticket, now),
    scope: ticket.scope,
    requester: {
      issuer: ticket.requester.issuer,
      subject: ticket.requester.subject,
      name: ticket.requester.name,
      groups: ticket.requester.groups,
      agent: ticket.requester.agent,
    },
    reason: ticket.reason,
    command: ticket.command,
    params: ticket.params ?? [],
    classes: ticket.classes,
    rule: ticket.rule,
    approvers: ticket.approvers,
    approvalsRequired: ticket.approvalsRequired,
    createdAt: new Date(ticket.createdAt).toISOString(),
    expiresAt: new Date(ticket.expiresAt).toISOString(),
    grantExpiresAt: ticket.grantExpiresAt
      ? new Date(ticket.grantExpiresAt).toISOString()
      : undefined,
    revokedAt: ticket.revokedAt ? new Date(ticket.revokedAt).toISOString() : undefined,
    usedAt: ticket.usedAt ? new Date(ticket.usedAt).toISOString() : undefined,
    executedCommand: ticket.executedCommand,
    decisions: ticket.decisions.map((d) => ({
      reviewer: { issuer: d.reviewer.issuer, subject: d.reviewer.subject, name: d.reviewer.name },
      action: d.action,
      rationale: d.rationale,
      command: d.command,
      at: new Date(d.at).toISOString(),
    })),
    viewer: { canDecide: refusal === undefined, reason: refusal },
  };
}

/** Reviewers in the ticket's approver groups and the requester may see a ticket; nobody else. */
export function mayView(ticket: Ticket, viewer: Identity): boolean {
  return (
    isSamePerson(viewer, ticket.requester) ||
    viewer.groups.some((group) => ticket.approvers.includes(group))
  );
}
