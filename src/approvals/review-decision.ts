import { GatehouseError } from '../core/errors.js';
import {
  effectiveStatus,
  isSamePerson,
  type ReviewAction,
  type Reviewer,
  type Ticket,
} from './ticket.js';

export interface ReviewInput {
  reviewer: Reviewer;
  action: ReviewAction;
  rationale?: string;
  /** Required for `modify`: the command that runs instead. */
  command?: string;
  now: number;
}

/** Why this reviewer may not decide this ticket, or undefined when they may. */
export function ineligibility(ticket: Ticket, reviewer: Reviewer, now: number): string | undefined {
  const status = effectiveStatus(ticket, now);
  if (status !== 'pending') return `ticket ${ticket.id} is ${status}`;
  if (isSamePerson(reviewer, ticket.requester)) return 'requesters cannot review their own ticket';
  if (!reviewer.groups.some((group) => ticket.approvers.includes(group))) {
    return `reviewers of this ticket must be in one of: ${ticket.approvers.join(', ')}`;
  }
  return undefined;
}

/**
 * Applies one reviewer's decision and returns the updated ticket; pure. Rules:
 * - deny by any one eligible reviewer ends the ticket;
 * - `approvals: N` needs N distinct eligible reviewers; a `modify` counts as its author's approval
 *   of the new text and discards approvals given to the text before it, so nobody's approval is
 *   carried over to a command they did not see;
 * - deny and modify need a rationale; grants cannot be modified (they cover many commands).
 */
export function applyReview(ticket: Ticket, input: ReviewInput): Ticket {
  const { reviewer, action, now } = input;
  const refusal = ineligibility(ticket, reviewer, now);
  if (refusal) {
    const code = refusal.startsWith('ticket ') ? 'conflict' : 'access_denied';
    throw new GatehouseError(code, refusal, { ticketId: ticket.id });
  }
  const rationale = input.rationale?.trim() || undefined;
  if ((action === 'deny' || action === 'modify') && !rationale) {
    throw new GatehouseError('invalid_request', `a rationale is required to ${action} a ticket`, {
      ticketId: ticket.id,
    });
  }
  const decision = {
    reviewer,
    action,
    rationale,
    at: now,
    command: undefined as string | undefined,
  };

  if (action === 'deny') {
    return { ...ticket, status: 'denied', decisions: [...ticket.decisions, decision] };
  }
  if (action === 'modify') {
    if (ticket.scope === 'grant') {
      throw new GatehouseError(
        'invalid_request',
        'an access grant cannot be modified; approve or deny it',
        { ticketId: ticket.id },
      );
    }
    const command = input.command?.trim();
    if (!command)
      throw new GatehouseError('invalid_request', 'modify needs the command to run instead', {
        ticketId: ticket.id,
      });
    decision.command = command;
  } else if (approversOfCurrentText(ticket).has(reviewerKey(reviewer))) {
    throw new GatehouseError('conflict', 'you have already approved this ticket', {
      ticketId: ticket.id,
    });
  }

  const next: Ticket = { ...ticket, decisions: [...ticket.decisions, decision] };
  if (decision.command) next.executedCommand = decision.command;
  if (approversOfCurrentText(next).size < ticket.approvalsRequired) return next;

  next.status = next.executedCommand ? 'modified' : 'approved';
  if (ticket.scope === 'grant') next.grantExpiresAt = now + (ticket.grantMs ?? 0);
  return next;
}

function reviewerKey(reviewer: { issuer: string; subject: string }): string {
  return `${reviewer.issuer}\n${reviewer.subject}`;
}

/** Distinct reviewers who approved the text that would run now (since the last modify). */
function approversOfCurrentText(ticket: Ticket): Set<string> {
  const approvers = new Set<string>();
  for (const decision of ticket.decisions) {
    if (decision.action === 'modify') approvers.clear();
    if (decision.action !== 'deny') approvers.add(reviewerKey(decision.reviewer));
  }
  return approvers;
}
