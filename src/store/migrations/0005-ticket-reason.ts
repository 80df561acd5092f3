import type { Kysely } from 'kysely';
import type { GatehouseMigration } from './migration-context.js';

/** The requester's stated reason on a ticket (`gatehouse exec --reason`). */
export const ticketReason: GatehouseMigration = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('tickets').addColumn('reason', 'text').execute();
  },
});
