import { type Kysely, sql } from 'kysely';
import type { GatehouseMigration } from './migration-context.js';

/**
 * The session listing's indexes cover session_start records only (partial indexes): one entry
 * per session instead of one per record, so the hot path maintains two secondary indexes per
 * record (session, recorded_at) instead of five. Queries name the kind as a literal so both
 * dialects can use them.
 */
export const auditSessionIndexes: GatehouseMigration = () => ({
  async up(db: Kysely<unknown>) {
    for (const name of ['audit_events_kind_at', 'audit_events_connector', 'audit_events_subject']) {
      await db.schema.dropIndex(name).execute();
    }
    const sessionIndex = (name: string, columns: string[]) =>
      db.schema
        .createIndex(name)
        .on('audit_events')
        .columns(columns)
        .where(sql.ref('kind'), '=', sql.lit('session_start'))
        .execute();
    await sessionIndex('audit_sessions_at', ['at']);
    await sessionIndex('audit_sessions_connector', ['connector', 'at']);
    await sessionIndex('audit_sessions_subject', ['subject', 'at']);
  },
});
