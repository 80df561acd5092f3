import type { Kysely } from 'kysely';
import type { GatehouseMigration } from './migration-context.js';

/** Key material the gateway generates once (an SSH host key); src/store/key-store.ts. */
export const gatewayKeys: GatehouseMigration = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('gateway_keys')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
});
