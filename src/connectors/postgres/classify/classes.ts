/**
 * The statement classes the SQL classifier emits, with what each means. Rules name these in
 * `when.statement`; a name not in this list never matches a SQL command, so config checks warn
 * about it. docs/policy.md renders the same list for people.
 */
export const SQL_STATEMENT_CLASSES = {
  read: 'only reads: SELECT, VALUES, TABLE, SHOW, cursors, EXPLAIN without ANALYZE, COPY … TO STDOUT',
  write:
    'changes data, schema, roles or server state in any way (set with every class below that does)',
  ddl: 'changes the catalog: CREATE, ALTER, DROP, GRANT, REVOKE, COMMENT, SECURITY LABEL',
  insert: 'INSERT, COPY … FROM, MERGE … INSERT',
  update: 'UPDATE, INSERT … ON CONFLICT DO UPDATE, MERGE … UPDATE',
  delete: 'DELETE, MERGE … DELETE',
  merge: 'MERGE',
  truncate: 'TRUNCATE',
  create: 'any CREATE (also set with the specific create classes)',
  alter: 'any ALTER, RENAME, COMMENT, SECURITY LABEL, ownership or schema change',
  drop: 'any DROP (also set with drop_table, drop_schema, drop_database, drop_role)',
  drop_table: 'DROP TABLE, DROP OWNED',
  drop_schema: 'DROP SCHEMA, DROP OWNED',
  drop_database: 'DROP DATABASE',
  create_role: 'CREATE ROLE / USER / GROUP',
  alter_role: 'ALTER ROLE / USER / GROUP, renaming a role',
  drop_role: 'DROP ROLE / USER / GROUP',
  grant: 'GRANT privileges or role membership, ALTER DEFAULT PRIVILEGES … GRANT',
  revoke: 'REVOKE privileges or role membership, DROP OWNED',
  copy_from: 'COPY … FROM (STDIN, a file or a program)',
  copy_to: 'COPY … TO (STDOUT, a file or a program)',
  copy_program: 'COPY … FROM PROGRAM / TO PROGRAM: runs a shell command on the database server',
  select_into: 'SELECT … INTO, CREATE TABLE … AS, CREATE MATERIALIZED VIEW',
  function: 'CREATE FUNCTION / PROCEDURE (unclassifiable: the body runs later, unseen)',
  do: 'DO block (unclassifiable: its effect is code)',
  execute_dynamic:
    'dynamic SQL: EXECUTE inside PL/pgSQL, dblink, query_to_xml, ts_stat (unclassifiable)',
  call: 'CALL of a procedure (also write: what the procedure does is not visible)',
  prepare: 'PREPARE (the prepared statement is classified when it is executed)',
  execute: 'EXECUTE of a prepared statement (also carries the classes of what it runs)',
  deallocate: 'DEALLOCATE',
  transaction: 'BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET CONSTRAINTS, two-phase commit',
  set: 'SET, RESET, DISCARD, set_config()',
  explain: 'EXPLAIN (with ANALYZE it also carries the classes of the statement it runs)',
  vacuum: 'VACUUM, ANALYZE',
  maintenance: 'VACUUM, ANALYZE, CLUSTER, REINDEX, REFRESH MATERIALIZED VIEW',
  lock: 'LOCK TABLE (row locks such as SELECT … FOR UPDATE stay read)',
  listen: 'LISTEN, UNLISTEN',
  notify: 'NOTIFY, pg_notify()',
  admin:
    'server administration: ALTER SYSTEM, CHECKPOINT, LOAD, SET ROLE, SET SESSION AUTHORIZATION, ' +
    'server-side files and programs, extensions, subscriptions, tablespaces, event triggers, ' +
    'backend signalling, replication slots and other dangerous functions',
  unclassifiable:
    'the parser could not tell what the text does (parse error, unknown statement, EXECUTE of an ' +
    'unknown prepared statement, DO, functions, dynamic SQL)',
} as const satisfies Record<string, string>;

export type SqlStatementClass = keyof typeof SQL_STATEMENT_CLASSES;

const KNOWN = new Set<string>(Object.keys(SQL_STATEMENT_CLASSES));

/** True when `name` is a class the SQL classifier can emit. */
export function isSqlStatementClass(name: string): name is SqlStatementClass {
  return KNOWN.has(name);
}

/**
 * Why a classification is unclassifiable, in the words a refusal uses (`function body with
 * dynamic SQL`), read from its classes; undefined when it is not unclassifiable. The most
 * specific cause wins when a text has several.
 */
export function unclassifiableReason(classification: {
  readonly classes: ReadonlyArray<string>;
  readonly unclassifiable: boolean;
  readonly statementCount: number;
}): string | undefined {
  if (!classification.unclassifiable) return undefined;
  const has = (name: string) => classification.classes.includes(name);
  const dynamic = has('execute_dynamic') ? ' with dynamic SQL' : '';
  if (classification.statementCount === 0) return 'text the PostgreSQL parser rejects';
  if (has('function')) return `function body${dynamic}`;
  if (has('do')) return `DO block${dynamic}`;
  if (has('execute_dynamic')) return 'dynamic SQL (a string run as SQL at execution time)';
  if (has('set') && has('admin')) {
    return 'a setting that changes how the server reads SQL, or one chosen at run time';
  }
  if (has('execute')) return 'EXECUTE of a prepared statement the session is not known to hold';
  return 'a statement the classifier does not know';
}
