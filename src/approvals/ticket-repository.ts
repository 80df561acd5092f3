import type { Ticket, TicketStatus } from './ticket.js';

export interface TicketQuery {
  status?: TicketStatus;
  connector?: string;
  limit?: number;
}

/**
 * Durable ticket storage. Every method that changes a ticket is a compare-and-set on its
 * current state, so two replicas deciding at once cannot both win.
 */
export interface TicketRepository {
  insert(ticket: Ticket): Promise<void>;
  get(id: string): Promise<Ticket | undefined>;
  list(query: TicketQuery): Promise<Ticket[]>;
  /** How many tickets are in each status (statuses without tickets are left out). */
  countByStatus(): Promise<Partial<Record<TicketStatus, number>>>;
  /** The newest ticket for this fingerprint, whatever its status. */
  latestByFingerprint(fingerprint: string): Promise<Ticket | undefined>;
  /**
   * Replaces a ticket's decision state (status, decisions, executed command, grant expiry) if
   * it still has `expectedDecisionCount` decisions; false when another reviewer got there first.
   */
  saveReview(ticket: Ticket, expectedDecisionCount: number): Promise<boolean>;
  /** Marks an approved command ticket used; true only for the one caller that got it. */
  consume(id: string, now: number): Promise<boolean>;
  /** Ends a grant early; false if it was not an active grant. */
  revokeGrant(id: string, now: number, decision: Ticket['decisions'][number]): Promise<boolean>;
  /** Writes `expired` onto pending tickets past their expiry; returns their ids. */
  expirePending(now: number): Promise<string[]>;
}
