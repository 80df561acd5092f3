export type { AuditChainTable, AuditEventsTable, BooleanColumn, Database } from './database.js';
export { MIGRATIONS, type MigrationContext, type StoreDialect } from './migrations/index.js';
export type {
  SessionQuery,
  SessionWithCommands,
  StoredCommand,
  StoredSession,
} from './records.js';
export { openStore, type Store, type StoreOptions } from './store.js';
export {
  type AuditSinkStats,
  StoreAuditSink,
  type StoreAuditSinkOptions,
} from './store-audit-sink.js';
export { redactStoreUrl } from './store-url.js';
