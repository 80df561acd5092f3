import type { Logger } from 'pino';
import { ApprovalService } from '../approvals/approval-service.js';
import {
  NotificationDispatcher,
  type OutboxTables,
  SqlNotificationOutbox,
  toTicketEvent,
} from '../approvals/notifiers/index.js';
import { SqlTicketRepository, type TicketTables } from '../approvals/sql-ticket-repository.js';
import { LocalTicketChanges, type TicketChanges } from '../approvals/ticket-changes.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { resolveSecret } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import { PostgresChangeFeed } from '../store/postgres-change-feed.js';

export interface Approvals {
  service: ApprovalService;
  /** The ticket change feed (the console streams it to reviewers). */
  changes: TicketChanges;
  /** Tickets in the store by status (the `gatehouse_tickets` metric). */
  countTickets(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const SWEEP_MS = 5_000;

/**
 * Tickets in the store, change notifications that reach every replica (LISTEN/NOTIFY on a
 * PostgreSQL store, in-process with SQLite), notifiers (deliveries kept in the store's outbox
 * and sent by whichever replica is up), and a sweeper that expires overdue tickets.
 */
export async function startApprovals(
  config: Config,
  store: Store,
  options: {
    logger: Logger;
    clock: Clock;
    publicUrl: () => string;
    /** Masks agents' command text in notifications with the connector's masking rules. */
    maskText: (text: string, connector: string) => string;
  },
): Promise<Approvals> {
  const { logger, clock } = options;
  const changes: TicketChanges =
    store.dialect === 'postgres'
      ? await PostgresChangeFeed.start(config.store.url, logger)
      : new LocalTicketChanges();
  const dispatcher = new NotificationDispatcher(config.reviews.notifiers, {
    secret: resolveSecret,
    logger,
    clock,
    // Deliveries wait in the store, so a restart loses none and any replica sends them.
    outbox: new SqlNotificationOutbox(store.db.withTables<OutboxTables>()),
  });
  const tickets = new SqlTicketRepository(store.db.withTables<TicketTables>());
  const service = new ApprovalService({
    tickets,
    changes,
    clock,
    logger,
    publicUrl: options.publicUrl,
    defaults: {
      timeoutMs: config.reviews.timeout,
      waitMs: config.reviews.wait,
      approvers: config.reviews.approvers,
    },
    onEvent: (type, ticket, url) =>
      dispatcher.notify(
        toTicketEvent(type, ticket, url, (text) => options.maskText(text, ticket.connector)),
      ),
  });
  const sweeper = setInterval(() => {
    service
      .expireOverdue()
      .catch((err: unknown) => logger.warn({ err }, 'ticket expiry sweep failed'));
  }, SWEEP_MS).unref();
  return {
    service,
    changes,
    countTickets: () => tickets.countByStatus(),
    async close() {
      clearInterval(sweeper);
      await dispatcher.drain(5_000);
      await changes.close();
    },
  };
}
