import type { Migration } from 'kysely/migration';

export type StoreDialect = 'sqlite' | 'postgres';

/** Column types that differ between the dialects, for migrations to use. */
export interface MigrationContext {
  dialect: StoreDialect;
  types: {
    /** `boolean` in PostgreSQL, stored as 0/1 in SQLite. */
    boolean: 'boolean';
    /** JSON kept as text in both dialects (see database.ts). */
    json: 'text';
  };
}

export type GatehouseMigration = (context: MigrationContext) => Migration;
