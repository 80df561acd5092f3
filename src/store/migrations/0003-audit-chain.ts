import { type Kysely, sql } from 'kysely';
import type { GatehouseMigration } from './migration-context.js';

/** sha256 genesis: what the first record of the chain links to. */
const GENESIS = '0'.repeat(64);

/**
 * The audit record becomes one append-only, hash-chained table (docs/audit.md): every fact —
 * session start, command decision, outcome, session end, retention purge — is its own row, and
 * the session/command views are read from these rows. `audit_chain` holds the chain's head (so
 * a truncated tail shows) and its base (where a recorded purge left it).
 * The unchained tables of 0001 are dropped when empty and otherwise kept, renamed, for
 * inspection: their rows predate the chain and are not carried into it.
 */
export const auditChain: GatehouseMigration = ({ types }) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_events')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('recorded_at', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text')
      .addColumn('command_seq', 'bigint')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('connector', 'text')
      .addColumn('subject', 'text')
      .addColumn('decision', 'text')
      .addColumn('data', types.json, (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    const index = (name: string, columns: string[]) =>
      db.schema.createIndex(name).on('audit_events').columns(columns).execute();
    await index('audit_events_session', ['session_id', 'command_seq', 'seq']);
    await index('audit_events_kind_at', ['kind', 'at']);
    await index('audit_events_connector', ['connector', 'kind', 'at']);
    await index('audit_events_subject', ['subject', 'kind', 'at']);
    await index('audit_events_recorded_at', ['recorded_at']);

    await db.schema
      .createTable('audit_chain')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('head_seq', 'bigint', (c) => c.notNull())
      .addColumn('head_hash', 'text', (c) => c.notNull())
      .addColumn('base_seq', 'bigint', (c) => c.notNull())
      .addColumn('base_hash', 'text', (c) => c.notNull())
      .execute();
    await sql`insert into audit_chain (id, head_seq, head_hash, base_seq, base_hash)
      values ('main', 0, ${GENESIS}, 0, ${GENESIS})`.execute(db);

    for (const table of ['commands', 'sessions']) {
      const rows = await sql<{
        n: number | string;
      }>`select count(*) as n from ${sql.table(table)}`.execute(db);
      if (Number(rows.rows[0]?.n ?? 0) === 0) await db.schema.dropTable(table).execute();
      else await db.schema.alterTable(table).renameTo(`unchained_${table}_0001`).execute();
    }
  },
});
