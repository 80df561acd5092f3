import type { Kysely } from 'kysely';
import type { GatehouseMigration } from './migration-context.js';

/**
 * Central policy versions (docs/policy.md, "Central policy"); row shape in
 * src/server/central-policy/policy-versions.ts. Append-only: a rollback is a new version.
 */
export const policyVersions: GatehouseMigration = ({ types }) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('policy_versions')
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('author', types.json, (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('ticket_id', 'text')
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('audit_seq', 'bigint', (c) => c.notNull())
      .execute();
  },
});
