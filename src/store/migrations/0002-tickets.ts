import type { Kysely } from 'kysely';
import type { GatehouseMigration } from './migration-context.js';

/** Approval tickets (docs/approvals.md); row shape in src/approvals/sql-ticket-repository.ts. */
export const tickets: GatehouseMigration = ({ types }) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('tickets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('connector', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('requester', types.json, (c) => c.notNull())
      .addColumn('command', 'text', (c) => c.notNull())
      .addColumn('params', types.json)
      .addColumn('classes', types.json, (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('approvers', types.json, (c) => c.notNull())
      .addColumn('approvals_required', 'integer', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('grant_ms', 'bigint')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('decisions', types.json, (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('executed_command', 'text')
      .addColumn('grant_expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('tickets_fingerprint')
      .on('tickets')
      .columns(['fingerprint', 'created_at'])
      .execute();
    await db.schema
      .createIndex('tickets_status_created_at')
      .on('tickets')
      .columns(['status', 'created_at'])
      .execute();
  },
});
