export type { AuditChainTable, AuditEventsTable, BooleanColumn, Database } from './database.js';
export { storeKeyStore } from './key-store.js';
export { MIGRATIONS, type MigrationContext, type StoreDialect } from './migrations/index.js';
export { openStore, type SqliteFile, type Store, type StoreOptions } from './store.js';
export { redactStoreUrl } from './store-url.js';
