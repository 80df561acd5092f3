import type { Command } from './command.js';
import type { Decision } from './decision.js';
import type { Identity } from './identity.js';

/** A ticket as the gate sees it: the id it records and tells the client. */
export interface HeldTicket {
  readonly id: string;
}

/** A review decision that the gate wants held until a human decides. */
export interface HoldRequest<TTicket extends HeldTicket = HeldTicket> {
  connector: string;
  identity: Identity;
  command: Command;
  decision: Decision;
  /** Called once the ticket exists and the client is about to wait (send a notice). */
  onPending?: (ticket: TTicket, url: string) => void;
  /** Aborted when the client stops waiting (disconnect, cancel). */
  signal?: AbortSignal;
  /** The requester's stated reason, recorded on a new ticket. */
  reason?: string;
}

/** The command may run: the text to run (the reviewer's after a modify) and its ticket. */
export interface Release<TTicket extends HeldTicket = HeldTicket> {
  ticket: TTicket;
  text: string;
}

/**
 * What the gate needs from the approvals service (src/approvals implements it): hold a command
 * until reviewers release it, or reject with a GatehouseError carrying the ticket id.
 */
export interface ApprovalHold {
  hold(request: HoldRequest): Promise<Release>;
}
