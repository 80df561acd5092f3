import type { ColumnType } from 'kysely';

/**
 * A boolean column: PostgreSQL `boolean`, SQLite integer 0/1 (the SQLite adapter binds JS
 * booleans as 0/1). Reads come back as boolean or number; normalise with `Boolean()`.
 */
export type BooleanColumn = ColumnType<boolean | number, boolean, boolean>;

/**
 * A JSON value kept as text in both dialects, so what is read back is byte-for-byte what was
 * written (the audit hash chain relies on that) and both stores behave the same.
 */
export type JsonText = string;

/** Epoch milliseconds, `bigint` in both dialects; PostgreSQL int8 is parsed to number. */
export type EpochMs = number;

/**
 * One fact of the audit record (docs/audit.md): a row of the hash chain. Never updated; deleted
 * only by a recorded retention purge, from the start of the chain.
 */
export interface AuditEventsTable {
  /** Position in the chain, 1-based, without gaps. */
  seq: number;
  /** When the transaction that appended it ran (epoch ms, the writer's clock). */
  recorded_at: EpochMs;
  kind: string;
  session_id: string | null;
  /** The command's 1-based position in its session; null for session-level events. */
  command_seq: number | null;
  /** When the fact happened (session start, command decision, completion, end, purge). */
  at: EpochMs;
  connector: string | null;
  subject: string | null;
  /** `allow` / `deny` / `review` on command events. */
  decision: string | null;
  /** The event's own fields as canonical JSON (sorted keys). */
  data: JsonText;
  prev_hash: string;
  hash: string;
}

/** The chain's head (last appended record) and base (where a recorded purge left it). */
export interface AuditChainTable {
  id: string;
  head_seq: number;
  head_hash: string;
  base_seq: number;
  base_hash: string;
}

/**
 * Tables created by the migrations in ./migrations. Modules that own further tables declare
 * their own table interfaces and use `store.db.withTables<TheirTables>()`.
 */
export interface Database {
  audit_events: AuditEventsTable;
  audit_chain: AuditChainTable;
}
