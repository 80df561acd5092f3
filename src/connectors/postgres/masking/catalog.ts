/**
 * Resolves a RowDescription field's (table OID, column number) to the catalog's schema, table
 * and column name, so column masking rules survive aliases (docs/masking.md). The names come
 * from a separate short-lived login of the gateway to the target (never the client's
 * connection, which is mid-protocol), loaded before the session's first query.
 */
import pg from 'pg';

/** A column's catalog names. */
export interface CatalogColumn {
  /** `schema.table`. */
  table: string;
  column: string;
}

/** How the gateway logs in to read the catalog: the connector's own target credentials. */
export interface CatalogLogin {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** As the `pg` driver takes it; false without TLS. */
  ssl: boolean | { rejectUnauthorized: boolean; ca?: string; servername?: string };
}

/** Every column of every relation a result can come from, system catalogs included. */
const COLUMNS_SQL = `SELECT c.oid::int8::text AS oid, a.attnum, n.nspname, c.relname, a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','v','m','f','p')`;

/** A loaded catalog is reused by sessions opening within this long; later ones reload it. */
const FRESH_MS = 5_000;

/** Per connector and database: (oid, attnum) → names. OIDs are per database. */
export class MaskingCatalog {
  readonly #byDatabase = new Map<
    string,
    { at: number; columns: Map<string, CatalogColumn>; loading?: Promise<void> }
  >();

  /**
   * Loads (or reuses a fresh load of) the database's column names. Rejects when the target
   * cannot be read: the caller refuses the session (fail closed).
   */
  async warm(login: CatalogLogin, now = Date.now()): Promise<void> {
    const entry = this.#byDatabase.get(login.database);
    if (entry?.loading) return entry.loading;
    if (entry && now - entry.at < FRESH_MS) return;
    await this.#load(login, now);
  }

  /** Reloads in the background (a table created since the last load); errors are swallowed. */
  refresh(login: CatalogLogin): void {
    const entry = this.#byDatabase.get(login.database);
    if (entry?.loading || (entry && Date.now() - entry.at < 1_000)) return;
    this.#load(login, Date.now()).catch(() => {});
  }

  lookup(database: string, oid: number, attnum: number): CatalogColumn | undefined {
    return this.#byDatabase.get(database)?.columns.get(`${oid}:${attnum}`);
  }

  async #load(login: CatalogLogin, now: number): Promise<void> {
    const previous = this.#byDatabase.get(login.database);
    const loading = readColumns(login).then((columns) => {
      this.#byDatabase.set(login.database, { at: now, columns });
    });
    this.#byDatabase.set(login.database, {
      at: previous?.at ?? 0,
      columns: previous?.columns ?? new Map(),
      loading,
    });
    try {
      await loading;
    } catch (err) {
      if (previous) this.#byDatabase.set(login.database, previous);
      else this.#byDatabase.delete(login.database);
      throw err;
    }
  }
}

async function readColumns(login: CatalogLogin): Promise<Map<string, CatalogColumn>> {
  const client = new pg.Client({
    ...login,
    application_name: 'gatehouse-masking-catalog',
    connectionTimeoutMillis: 10_000,
    statement_timeout: 10_000,
  });
  await client.connect();
  try {
    const { rows } = await client.query<{
      oid: string;
      attnum: number;
      nspname: string;
      relname: string;
      attname: string;
    }>(COLUMNS_SQL);
    const columns = new Map<string, CatalogColumn>();
    for (const row of rows) {
      columns.set(`${row.oid}:${row.attnum}`, {
        table: `${row.nspname}.${row.relname}`,
        column: row.attname,
      });
    }
    return columns;
  } finally {
    await client.end().catch(() => {});
  }
}
