/**
 * Resolves a RowDescription field's (table OID, column number) to the catalog's schema, table
 * and column name, so column masking rules survive aliases (docs/masking.md). The names come
 * from a separate short-lived login of the gateway to the target (never the client's
 * connection, which is mid-protocol), loaded before the session's first query.
 */
import pg from 'pg';
import type { CatalogFunction, CatalogRelation, LineageCatalog } from './lineage.js';

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
const COLUMNS_SQL = `SELECT c.oid::int8::text AS oid, a.attnum, n.nspname, c.relname, a.attname,
    c.relkind::text AS relkind,
    CASE WHEN c.relkind IN ('v','m') AND n.nspname NOT IN ('pg_catalog','information_schema')
      THEN pg_get_viewdef(c.oid) END AS definition
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','v','m','f','p')
  ORDER BY c.oid, a.attnum`;

/** Functions for lineage: user-defined ones with language and body; builtins by name only. */
const FUNCTIONS_SQL = `SELECT p.oid::int8::text AS oid, n.nspname, p.proname, l.lanname, p.prosrc,
    n.nspname = 'pg_catalog' AS builtin
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
  WHERE n.nspname <> 'information_schema'`;

/** Operators and casts whose function is not a builtin: a call the text does not name. */
const HIDDEN_CALLS_SQL = `SELECT 'operator' AS kind, o.oprname AS name, p.oid::int8::text AS oid,
    l.lanname, p.prosrc
  FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
  JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL
  SELECT 'cast', t.typname, p.oid::int8::text, l.lanname, p.prosrc
  FROM pg_cast c JOIN pg_proc p ON p.oid = c.castfunc JOIN pg_type t ON t.oid = c.casttarget
  JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`;

/** What lineage needs of one database's catalog (lineage.ts). */
export class LoadedCatalog implements LineageCatalog {
  readonly columns = new Map<string, CatalogColumn>();
  readonly #relations = new Map<string, CatalogRelation[]>();
  readonly #functions = new Map<string, Array<CatalogFunction & { schema: string }>>();
  readonly #builtins = new Set<string>();
  readonly #hidden = new Map<string, CatalogFunction[]>();
  readonly #byOid = new Map<number, CatalogRelation>();

  addRelation(schema: string, rel: CatalogRelation): void {
    this.#byOid.set(rel.oid, rel);
    const list = this.#relations.get(rel.table.slice(schema.length + 1)) ?? [];
    list.push(rel);
    this.#relations.set(rel.table.slice(schema.length + 1), list);
  }

  addFunction(schema: string, name: string, fn: CatalogFunction, builtin: boolean): void {
    if (builtin) {
      this.#builtins.add(name);
      return;
    }
    const list = this.#functions.get(name) ?? [];
    list.push({ ...fn, schema });
    this.#functions.set(name, list);
  }

  relations(schema: string | undefined, name: string): readonly CatalogRelation[] {
    const list = this.#relations.get(name) ?? [];
    return schema ? list.filter((rel) => rel.table === `${schema}.${name}`) : list;
  }

  functions(schema: string | undefined, name: string): readonly CatalogFunction[] {
    const list = this.#functions.get(name) ?? [];
    return schema ? list.filter((fn) => fn.schema === schema) : list;
  }

  relation(oid: number): CatalogRelation | undefined {
    return this.#byOid.get(oid);
  }

  addHiddenCall(kind: 'operator' | 'cast', name: string, fn: CatalogFunction): void {
    const key = `${kind}\u0000${name}`;
    this.#hidden.set(key, [...(this.#hidden.get(key) ?? []), fn]);
  }

  hiddenCalls(kind: 'operator' | 'cast', name: string): readonly CatalogFunction[] {
    return this.#hidden.get(`${kind}\u0000${name}`) ?? [];
  }

  /** Operators and cast target types backed by user functions, with those functions. */
  allHiddenCalls(): Array<[name: string, fns: readonly CatalogFunction[]]> {
    return [...this.#hidden].map(([key, fns]) => [key.slice(key.indexOf('\u0000') + 1), fns]);
  }

  isBuiltin(name: string): boolean {
    return this.#builtins.has(name);
  }

  /** Every relation, and user-defined function names. */
  allRelations(): CatalogRelation[] {
    return [...this.#relations.values()].flat();
  }

  userFunctionNames(): string[] {
    return [...this.#functions.keys()];
  }
}

/** A loaded catalog is reused by sessions opening within this long; later ones reload it. */
const FRESH_MS = 5_000;

/** Per connector and database: (oid, attnum) → names. OIDs are per database. */
export class MaskingCatalog {
  readonly #byDatabase = new Map<
    string,
    { at: number; columns: LoadedCatalog; loading?: Promise<void> }
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
    return this.#byDatabase.get(database)?.columns.columns.get(`${oid}:${attnum}`);
  }

  /** The database's loaded catalog (a new object after each reload). */
  loaded(database: string): LoadedCatalog | undefined {
    return this.#byDatabase.get(database)?.columns;
  }

  async #load(login: CatalogLogin, now: number): Promise<void> {
    const previous = this.#byDatabase.get(login.database);
    const loading = readColumns(login).then((columns) => {
      this.#byDatabase.set(login.database, { at: now, columns });
    });
    this.#byDatabase.set(login.database, {
      at: previous?.at ?? 0,
      columns: previous?.columns ?? new LoadedCatalog(),
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

async function readColumns(login: CatalogLogin): Promise<LoadedCatalog> {
  const client = new pg.Client({
    ...login,
    application_name: 'gatehouse-masking-catalog',
    connectionTimeoutMillis: 10_000,
    statement_timeout: 10_000,
  });
  // A connection ended by the server between queries (the database dropped, a restart) would
  // otherwise be an uncaught 'error' event; a query in flight still rejects.
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{
      oid: string;
      attnum: number;
      nspname: string;
      relname: string;
      attname: string;
      relkind: string;
      definition: string | null;
    }>(COLUMNS_SQL);
    const catalog = new LoadedCatalog();
    let current: { oid: string; columns: string[] } | undefined;
    for (const row of rows) {
      const table = `${row.nspname}.${row.relname}`;
      catalog.columns.set(`${row.oid}:${row.attnum}`, { table, column: row.attname });
      if (current?.oid !== row.oid) {
        current = { oid: row.oid, columns: [] };
        catalog.addRelation(row.nspname, {
          oid: Number(row.oid),
          table,
          kind: row.relkind,
          columns: current.columns,
          ...(row.definition ? { definition: row.definition } : {}),
        });
      }
      current.columns.push(row.attname);
    }
    const functions = await client.query<{
      oid: string;
      nspname: string;
      proname: string;
      lanname: string;
      prosrc: string | null;
      builtin: boolean;
    }>(FUNCTIONS_SQL);
    for (const row of functions.rows) {
      catalog.addFunction(
        row.nspname,
        row.proname,
        { oid: Number(row.oid), language: row.lanname, body: row.prosrc ?? '' },
        row.builtin,
      );
    }
    const hidden = await client.query<{
      kind: 'operator' | 'cast';
      name: string;
      oid: string;
      lanname: string;
      prosrc: string | null;
    }>(HIDDEN_CALLS_SQL);
    for (const row of hidden.rows) {
      catalog.addHiddenCall(row.kind, row.name, {
        oid: Number(row.oid),
        language: row.lanname,
        body: row.prosrc ?? '',
      });
    }
    return catalog;
  } finally {
    await client.end().catch(() => {});
  }
}
