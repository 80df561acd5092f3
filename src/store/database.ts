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

export interface SessionsTable {
  id: string;
  connector: string;
  protocol: string;
  issuer: string;
  issuer_name: string;
  subject: string;
  name: string | null;
  groups: JsonText;
  agent: BooleanColumn;
  client_address: string;
  client_port: number | null;
  client_tls: BooleanColumn;
  target: JsonText | null;
  started_at: EpochMs;
  ended_at: EpochMs | null;
  end_reason: string | null;
}

export interface CommandsTable {
  session_id: string;
  /** 1-based position in the session; (session_id, seq) is the key. */
  seq: number;
  at: EpochMs;
  text: string;
  params: JsonText | null;
  classes: JsonText;
  where_absent: BooleanColumn | null;
  unclassifiable: BooleanColumn;
  target: JsonText | null;
  decision: string;
  rule: string | null;
  reason: string;
  ticket_id: string | null;
  executed_text: string | null;
  outcome_tag: string | null;
  outcome_rows: number | null;
  error_code: string | null;
  error_message: string | null;
  duration_ms: number | null;
  completed_at: EpochMs | null;
}

/**
 * Tables created by the migrations in ./migrations. Modules that own further tables declare
 * their own table interfaces and use `store.db.withTables<TheirTables>()`.
 */
export interface Database {
  sessions: SessionsTable;
  commands: CommandsTable;
}
