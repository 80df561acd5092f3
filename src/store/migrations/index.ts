import type { MigrationProvider } from 'kysely/migration';
import { sessionsAndCommands } from './0001-sessions-and-commands.js';
import { tickets } from './0002-tickets.js';
import { auditChain } from './0003-audit-chain.js';
import { auditSessionIndexes } from './0004-audit-session-indexes.js';
import { ticketReason } from './0005-ticket-reason.js';
import { policyVersions } from './0006-policy-versions.js';
import { gatewayKeys } from './0007-gateway-keys.js';
import { notificationOutbox } from './0008-notification-outbox.js';
import type { GatehouseMigration, MigrationContext, StoreDialect } from './migration-context.js';

export type { GatehouseMigration, MigrationContext, StoreDialect } from './migration-context.js';

/**
 * Every schema change, in order. APPEND-ONLY: never edit, rename, reorder or remove a
 * migration that has been committed; add a new file `NNNN-what.ts` and one line at the end.
 * Names sort lexically, so keep the four-digit prefix.
 */
export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: GatehouseMigration]> = [
  ['0001_sessions_and_commands', sessionsAndCommands],
  ['0002_tickets', tickets],
  ['0003_audit_chain', auditChain],
  ['0004_audit_session_indexes', auditSessionIndexes],
  ['0005_ticket_reason', ticketReason],
  ['0006_policy_versions', policyVersions],
  ['0007_gateway_keys', gatewayKeys],
  ['0008_notification_outbox', notificationOutbox],
];

/** The list above as a Kysely migration provider for one dialect. */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  const context: MigrationContext = { dialect, types: { boolean: 'boolean', json: 'text' } };
  const names = MIGRATIONS.map(([name]) => name);
  const sorted = [...names].sort();
  if (names.some((name, i) => name !== sorted[i]) || new Set(names).size !== names.length) {
    throw new TypeError('store migrations must have unique names in ascending order');
  }
  return {
    getMigrations: async () =>
      Object.fromEntries(MIGRATIONS.map(([name, migration]) => [name, migration(context)])),
  };
}
