import type { Kysely } from 'kysely';
import type { GatehouseMigration } from './migration-context.js';

/**
 * Notifier deliveries not yet sent, and what became of them (docs/notifiers.md, "Durability");
 * row shape in src/approvals/notifiers/outbox.ts. Holds the rendered body and the notifier's
 * position in the config, never its URL or signing secret.
 */
export const notificationOutbox: GatehouseMigration = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('notification_outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('notifier', 'integer', (c) => c.notNull())
      .addColumn('notifier_label', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('ticket_id', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('claimed_by', 'text')
      .addColumn('claimed_until', 'bigint')
      .addColumn('finished_at', 'bigint')
      .addColumn('last_error', 'text')
      .execute();
    await db.schema
      .createIndex('notification_outbox_due')
      .on('notification_outbox')
      .columns(['status', 'next_attempt_at'])
      .execute();
  },
});
