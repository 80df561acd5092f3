import type { NotifierConfig, notifierEvents } from '../../config/schema.js';

export type { NotifierConfig };

/** What happened to a ticket: the `type` of every notification. */
export type TicketEventType = (typeof notifierEvents)[number];

/** One reviewer's decision, as shown in a notification. */
export interface TicketEventDecision {
  /** Display name or subject of the reviewer. */
  reviewer: string;
  action: string;
  rationale?: string;
  /** Epoch milliseconds. */
  at: number;
}

/**
 * The ticket as notifications show it. Independent of how the store keeps tickets: the
 * caller builds it, and has already masked `command` the way the audit log masks it.
 */
export interface TicketEventTicket {
  id: string;
  connector: string;
  status: string;
  requester: { subject: string; name?: string; agent: boolean; groups: string[] };
  /** Command text, already masked by the caller. */
  command: string;
  classes: string[];
  rule?: string;
  /** Groups whose members may decide. */
  approvers: string[];
  approvalsRequired: number;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds. */
  expiresAt: number;
  decisions?: TicketEventDecision[];
}

/** A notification: what happened, to which ticket, and where reviewers open it. */
export interface TicketEvent {
  type: TicketEventType;
  ticket: TicketEventTicket;
  /** Console link to the ticket. */
  url: string;
}

/** An HTTP request a notifier sends: the body is fixed once so every retry sends the same bytes. */
export interface RenderedRequest {
  body: string;
  /** Headers computed per attempt (Standard Webhooks signs the attempt's timestamp). */
  headers(attemptTime: number): Record<string, string>;
}

/** Identifies one notification across notifiers, retries and logs. */
export interface EventEnvelope {
  /** `msg_…`; the Standard Webhooks `webhook-id`, unchanged across retries. */
  id: string;
  /** When the event was raised (epoch milliseconds). */
  time: number;
  event: TicketEvent;
}
