import type { Kysely } from 'kysely';
import type { GatehouseMigration } from './migration-context.js';

/** Session and command records (docs/audit.md). */
export const sessionsAndCommands: GatehouseMigration = ({ types }) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('connector', 'text', (c) => c.notNull())
      .addColumn('protocol', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('issuer_name', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('groups', types.json, (c) => c.notNull())
      .addColumn('agent', types.boolean, (c) => c.notNull())
      .addColumn('client_address', 'text', (c) => c.notNull())
      .addColumn('client_port', 'integer')
      .addColumn('client_tls', types.boolean, (c) => c.notNull())
      .addColumn('target', types.json)
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint')
      .addColumn('end_reason', 'text')
      .execute();
    await db.schema
      .createIndex('sessions_started_at')
      .on('sessions')
      .column('started_at')
      .execute();
    await db.schema
      .createIndex('sessions_connector_started_at')
      .on('sessions')
      .columns(['connector', 'started_at'])
      .execute();
    await db.schema
      .createIndex('sessions_subject_started_at')
      .on('sessions')
      .columns(['subject', 'started_at'])
      .execute();

    await db.schema
      .createTable('commands')
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('params', types.json)
      .addColumn('classes', types.json, (c) => c.notNull())
      .addColumn('where_absent', types.boolean)
      .addColumn('unclassifiable', types.boolean, (c) => c.notNull())
      .addColumn('target', types.json)
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('rule', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('ticket_id', 'text')
      .addColumn('executed_text', 'text')
      .addColumn('outcome_tag', 'text')
      .addColumn('outcome_rows', 'bigint')
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('duration_ms', 'bigint')
      .addColumn('completed_at', 'bigint')
      .addPrimaryKeyConstraint('commands_pkey', ['session_id', 'seq'])
      .execute();
    await db.schema.createIndex('commands_at').on('commands').column('at').execute();
    await db.schema.createIndex('commands_ticket_id').on('commands').column('ticket_id').execute();
  },
});
