import type { Identity } from '../core/identity.js';

export type TicketStatus = 'pending' | 'approved' | 'denied' | 'modified' | 'expired' | 'cancelled';
export type ReviewAction = 'approve' | 'deny' | 'modify';
/** `command`: the approval covers this one command once; `grant`: every command the rule matches, for a while. */
export type TicketScope = 'command' | 'grant';

/** Who decided, as recorded on the ticket. */
export interface Reviewer {
  issuer: string;
  subject: string;
  name?: string;
  groups: string[];
}

export interface TicketDecision {
  reviewer: Reviewer;
  /** `revoke` ends an approved grant early. */
  action: ReviewAction | 'revoke';
  rationale?: string;
  /** The reviewer's command, for `modify`. */
  command?: string;
  at: number;
}

/** A held command waiting for (or carrying) a human decision. Durable in the store. */
export interface Ticket {
  id: string;
  connector: string;
  requester: Identity;
  /** The requester's stated reason, if the client gave one. */
  reason?: string;
  /** Exact command text and parameters as the client sent them. */
  command: string;
  params?: ReadonlyArray<string | null>;
  classes: ReadonlyArray<string>;
  rule: string;
  approvers: ReadonlyArray<string>;
  approvalsRequired: number;
  scope: TicketScope;
  /** For grants: how long the access lasts once approved (ms). */
  grantMs?: number;
  status: TicketStatus;
  createdAt: number;
  /** A pending ticket expires then; an approved command ticket is usable until then. */
  expiresAt: number;
  decisions: TicketDecision[];
  /** What runs: the reviewer's text after a modify, else the original. */
  executedCommand?: string;
  /** For grants: when the access ends (set on approval, shortened by revocation). */
  grantExpiresAt?: number;
  /** When a reviewer ended an approved grant early. */
  revokedAt?: number;
  /** When a command ticket's approval was used (it runs once). */
  usedAt?: number;
  /** Hash of connector + requester + command + params: identifies retries of the same command. */
  fingerprint: string;
}

export function reviewerFrom(identity: Identity): Reviewer {
  return {
    issuer: identity.issuer,
    subject: identity.subject,
    name: identity.name,
    groups: identity.groups,
  };
}

export function isSamePerson(
  a: { issuer: string; subject: string },
  b: { issuer: string; subject: string },
): boolean {
  return a.issuer === b.issuer && a.subject === b.subject;
}

/** Status as of `now`: a pending ticket past its expiry is expired even before a sweeper writes it. */
export function effectiveStatus(ticket: Ticket, now: number): TicketStatus {
  if (ticket.status === 'pending' && now >= ticket.expiresAt) return 'expired';
  return ticket.status;
}

/** The rationale of the deciding decision (deny, modify, or the last approval), for clients. */
export function decidingRationale(ticket: Ticket): string | undefined {
  for (let i = ticket.decisions.length - 1; i >= 0; i--) {
    const decision = ticket.decisions[i]!;
    if (decision.rationale) return decision.rationale;
  }
  return undefined;
}
