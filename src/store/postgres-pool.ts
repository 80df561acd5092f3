import pg from 'pg';
import type { Logger } from 'pino';

export interface PostgresOptions {
  /** Connections per process. */
  poolSize?: number;
  /** How long to wait for a new connection before the store counts as unavailable (ms). */
  connectTimeoutMs?: number;
  /** Server-side limit per statement (ms), so a stuck lock turns into an error, not a hang. */
  statementTimeoutMs?: number;
}

const INT8_OID = 20;

/**
 * Parses int8 to number for this pool only (not pg's global parsers, which other modules may
 * rely on): the store's bigints are epoch milliseconds and counts, far inside 2^53.
 */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * A pg Pool for the store whose lost connections are logged instead of crashing the process.
 * pg-pool listens for errors only on idle clients; a client checked out (a transaction in
 * flight when the server goes away) emits 'error' with nobody listening, which would be an
 * uncaught exception. Every client gets a listener of its own for that case: its queries
 * already fail, and the pool discards it on release.
 */
export function createPostgresPool(
  url: string,
  logger: Logger,
  options: PostgresOptions = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    application_name: 'gatehouse',
    types,
  });
  pool.on('error', (err) => logger.warn({ err }, 'store connection lost; it will be replaced'));
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.debug({ err }, 'store connection lost while in use'));
  });
  return pool;
}
