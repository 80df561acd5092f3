/**
 * Masking by lineage (docs/masking.md): which source columns each output column of a statement
 * derives from, read from libpg-query's parse tree and the catalog the session loaded (tables,
 * view definitions, SQL function bodies). The answer is identity-independent; `lineage-mask.ts`
 * turns it into column maskers for one session.
 */
import { parseSync } from 'libpg-query';

/** A source column: `table` as the catalog names it (`schema.table`). */
export interface Source {
  readonly table: string;
  readonly column: string;
}

/** Where one value comes from. An empty object is a value that depends on no column. */
export interface Lineage {
  /** The value is one of these columns' values, unchanged (renamed, passed through, cast to text). */
  readonly direct?: readonly Source[];
  /** The value is computed from these columns. */
  readonly derived?: readonly Source[];
  /** Nothing can tell what the value derives from (an opaque function, an unknown cursor). */
  readonly opaque?: true;
  /** A record (whole-row reference, ROW()) with named fields. */
  readonly fields?: ReadonlyArray<readonly [string, Lineage]>;
  /** JSON whose object keys (at any depth) carry these values. */
  readonly keys?: ReadonlyMap<string, Lineage>;
}

/** What one statement sends back. */
export type StatementLineage =
  /** Rows: one lineage per output column; `exact` false when the column count is not known. */
  | { readonly kind: 'rows'; readonly columns: readonly Lineage[]; readonly exact: boolean }
  /** No RowDescription. */
  | { readonly kind: 'none' }
  /** Maybe rows, from something not traced (EXECUTE, FETCH, CALL): fail closed from here on. */
  | { readonly kind: 'maybe' };

/** The catalog as the analysis reads it. */
export interface LineageCatalog {
  /** Relations named `name` (in `schema`, or in any schema when undefined). */
  relations(schema: string | undefined, name: string): readonly CatalogRelation[];
  /** User-defined functions named so (any schema when undefined); builtins are not listed. */
  functions(schema: string | undefined, name: string): readonly CatalogFunction[];
  /** A function of that name exists in pg_catalog. */
  isBuiltin(name: string): boolean;
  /** User functions behind an operator (by symbol) or an explicit cast (by target type name). */
  hiddenCalls?(kind: 'operator' | 'cast', name: string): readonly CatalogFunction[];
}

export interface CatalogRelation {
  readonly oid: number;
  /** `schema.name`. */
  readonly table: string;
  /** pg_class.relkind. */
  readonly kind: string;
  /** Live columns in column-number order. */
  readonly columns: readonly string[];
  /** A view's or materialized view's defining query. */
  readonly definition?: string;
}

export interface CatalogFunction {
  readonly oid: number;
  /** pg_language.lanname. */
  readonly language: string;
  readonly body: string;
}

const CLEAN: Lineage = Object.freeze({});
const OPAQUE: Lineage = Object.freeze({ opaque: true });
const MAX_DEPTH = 8;
/** Rounds a recursive CTE is evaluated until its columns' sources stop growing. */
const MAX_ROUNDS = 16;

/** Builtins that run a query given as text, or show values of any table: never traced. */
const OPAQUE_BUILTINS = new Set([
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'table_to_xml',
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'ts_stat',
]);
/** System views that show sampled column values (most common values, histograms). */
const OPAQUE_RELATIONS = new Set([
  'pg_stats',
  'pg_stats_ext',
  'pg_stats_ext_exprs',
  'pg_statistic',
  'pg_statistic_ext_data',
]);
/** A system view that shows sampled values of every table (`schema.name`). */
export function isOpaqueRelation(table: string): boolean {
  return table.startsWith('pg_catalog.') && OPAQUE_RELATIONS.has(table.slice(11));
}

/** JSON functions whose result keeps the keys of a record or JSON argument. */
const JSON_OF_RECORD = new Set([
  'row_to_json',
  'to_json',
  'to_jsonb',
  'json_agg',
  'jsonb_agg',
  'json_strip_nulls',
  'jsonb_strip_nulls',
  'jsonb_pretty',
  'array_to_json',
]);
const JSON_BUILD_OBJECT = new Set(['json_build_object', 'jsonb_build_object']);
/** Casts that keep a text value as it is. */
const TEXT_TYPES = new Set(['text', 'varchar']);
/** PL languages whose functions can read tables unseen: opaque. c/internal are extension code. */
const TRACED_LANGUAGES = new Set(['c', 'internal']);

type Node = Record<string, unknown>;

/** A relation in scope: named columns, or `any` for every column when they are not known. */
interface Rel {
  name: string | undefined;
  columns: Array<[string, Lineage]>;
  any?: Lineage;
}

interface Scope {
  rels: Rel[];
  ctes: Map<string, Rel>;
  parent: Scope | undefined;
}

/** Statement analysis over one catalog; caches views and functions it has read. */
export class LineageAnalyzer {
  readonly #catalog: LineageCatalog;
  readonly #views = new Map<number, Array<[string, Lineage]> | null>();
  readonly #functions = new Map<number, Lineage | null>();
  /** A name the catalog did not know was met (a reload may help). */
  missed = false;

  constructor(catalog: LineageCatalog) {
    this.#catalog = catalog;
  }

  /** Every statement of `sql`, in order; undefined when it does not parse. */
  analyse(sql: string): StatementLineage[] | undefined {
    const stmts = parseStatements(sql);
    if (!stmts) return undefined;
    return stmts.map((stmt) => this.#statement(stmt, 0));
  }

  /** What the Execute of a statement (Parse'd or SQL-prepared) returns. */
  analyseExecuted(sql: string): StatementLineage | undefined {
    const stmts = parseStatements(sql);
    if (stmts?.length !== 1) return undefined;
    const [type, body] = entry(stmts[0]!);
    if (type === 'PrepareStmt') return this.#statement(body['query'] as Node, 0);
    return this.#statement(stmts[0]!, 0);
  }

  /** The output lineage of a view (by catalog relation), cached. */
  viewColumns(rel: CatalogRelation, depth: number): Array<[string, Lineage]> | undefined {
    const cached = this.#views.get(rel.oid);
    if (cached !== undefined) return cached ?? undefined;
    this.#views.set(rel.oid, null); // a cycle reads as untraced
    let result: Array<[string, Lineage]> | null = null;
    const stmts = rel.definition ? parseStatements(rel.definition) : undefined;
    if (stmts?.length === 1 && depth < MAX_DEPTH) {
      const out = this.#statement(stmts[0]!, depth + 1);
      if (out.kind === 'rows' && out.exact && out.columns.length === rel.columns.length) {
        result = rel.columns.map((name, i) => [name, out.columns[i]!]);
      }
    }
    this.#views.set(rel.oid, result);
    return result ?? undefined;
  }

  /** Everything a SQL function's body can return, as derived sources; opaque otherwise. */
  functionLineage(fn: CatalogFunction, depth: number): Lineage {
    if (TRACED_LANGUAGES.has(fn.language)) return CLEAN;
    if (fn.language !== 'sql') return OPAQUE;
    const cached = this.#functions.get(fn.oid);
    if (cached !== undefined) return cached ?? OPAQUE;
    this.#functions.set(fn.oid, null);
    let result: Lineage | null = null;
    const stmts = fn.body.trim() ? parseStatements(fn.body) : undefined;
    if (stmts && depth < MAX_DEPTH) {
      const parts: Lineage[] = [];
      for (const stmt of stmts) {
        const out = this.#statement(stmt, depth + 1);
        if (out.kind === 'maybe') parts.push(OPAQUE);
        else if (out.kind === 'rows') parts.push(...out.columns);
      }
      result = derive(parts);
    }
    this.#functions.set(fn.oid, result);
    return result ?? OPAQUE;
  }

  #statement(stmt: Node, depth: number): StatementLineage {
    const [type, body] = entry(stmt);
    const scope: Scope = { rels: [], ctes: new Map(), parent: undefined };
    switch (type) {
      case 'SelectStmt': {
        if (body['intoClause']) return { kind: 'none' };
        const out = this.#select(body, scope, depth);
        return { kind: 'rows', columns: out.columns.map(([, l]) => l), exact: out.exact };
      }
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt': {
        const returning =
          (body['returningClause'] as Node | undefined)?.['exprs'] ?? body['returningList'];
        if (!Array.isArray(returning) || returning.length === 0) return { kind: 'none' };
        this.#with(body['withClause'] as Node | undefined, scope, depth);
        scope.rels.push(...this.#fromItem({ RangeVar: body['relation'] }, scope, depth));
        for (const key of ['fromClause', 'usingClause']) {
          const list = body[key];
          if (Array.isArray(list))
            for (const item of list) scope.rels.push(...this.#fromItem(item, scope, depth));
        }
        if (type === 'MergeStmt' && body['sourceRelation']) {
          scope.rels.push(...this.#fromItem(body['sourceRelation'] as Node, scope, depth));
        }
        const out = this.#targets(returning as Node[], scope, depth);
        return { kind: 'rows', columns: out.columns.map(([, l]) => l), exact: out.exact };
      }
      case 'ExplainStmt':
      case 'VariableShowStmt':
        return { kind: 'rows', columns: [CLEAN], exact: false };
      case 'FetchStmt':
        return body['ismove'] ? { kind: 'none' } : { kind: 'maybe' };
      case 'ExecuteStmt':
      case 'CallStmt':
        return { kind: 'maybe' };
      default:
        return { kind: 'none' };
    }
  }

  #with(withClause: Node | undefined, scope: Scope, depth: number): void {
    const ctes = withClause?.['ctes'];
    if (!Array.isArray(ctes)) return;
    const recursive = withClause?.['recursive'] === true;
    for (const item of ctes as Node[]) {
      const cte = entry(item)[1];
      const name = cte['ctename'] as string;
      const query = cte['ctequery'] as Node;
      const aliases = names(cte['aliascolnames']);
      // A recursive reference reads as what the CTE produced so far: iterate to a fixed point.
      let rel: Rel = { name, columns: [], any: CLEAN };
      let converged = !recursive;
      for (let round = 0; round < (recursive ? MAX_ROUNDS : 1); round++) {
        if (recursive) scope.ctes.set(name, rel);
        const before = signature(rel);
        const [qtype, qbody] = entry(query);
        let columns: Array<[string, Lineage]>;
        let exact = true;
        if (qtype === 'SelectStmt') {
          const out = this.#select(qbody, scope, depth);
          columns = out.columns;
          exact = out.exact;
        } else {
          const out = this.#statementIn(query, scope, depth);
          columns = out.columns;
          exact = out.exact;
        }
        columns = columns.map(([n, l], i) => [aliases[i] ?? n, l]);
        const next: Rel = { name, columns: merged(rel.columns, columns) };
        if (!exact) next.any = derive(columns.map(([, l]) => l));
        rel = next;
        if (recursive && signature(rel) === before) {
          converged = true;
          break;
        }
      }
      // Sources only accumulate, so this converges; should it not within the rounds, fail closed.
      if (!converged) rel = { name, columns: rel.columns.map(([n]) => [n, OPAQUE]), any: OPAQUE };
      scope.ctes.set(name, rel);
    }
  }

  /** A data-modifying statement inside a WITH: its RETURNING. */
  #statementIn(
    stmt: Node,
    scope: Scope,
    depth: number,
  ): { columns: Array<[string, Lineage]>; exact: boolean } {
    const [type, body] = entry(stmt);
    const returning =
      (body['returningClause'] as Node | undefined)?.['exprs'] ?? body['returningList'];
    if (!Array.isArray(returning)) return { columns: [], exact: true };
    const inner: Scope = { rels: [], ctes: new Map(scope.ctes), parent: scope.parent };
    if (body['relation'])
      inner.rels.push(...this.#fromItem({ RangeVar: body['relation'] }, inner, depth));
    for (const key of ['fromClause', 'usingClause']) {
      const list = body[key];
      if (Array.isArray(list))
        for (const item of list) inner.rels.push(...this.#fromItem(item, inner, depth));
    }
    if (type === 'MergeStmt' && body['sourceRelation']) {
      inner.rels.push(...this.#fromItem(body['sourceRelation'] as Node, inner, depth));
    }
    return this.#targets(returning as Node[], inner, depth);
  }

  /** A SELECT body (with or without its `SelectStmt` wrapper removed) in a scope. */
  #select(
    body: Node,
    outer: Scope,
    depth: number,
  ): { columns: Array<[string, Lineage]>; exact: boolean } {
    const scope: Scope = { rels: [], ctes: new Map(outer.ctes), parent: outer.parent };
    // The query's own scope sees the outer query's relations as a parent (correlated subqueries).
    if (outer.rels.length > 0) scope.parent = outer;
    this.#with(body['withClause'] as Node | undefined, scope, depth);
    if (body['op'] && body['op'] !== 'SETOP_NONE') {
      const left = this.#select(body['larg'] as Node, scope, depth);
      const right = this.#select(body['rarg'] as Node, scope, depth);
      return {
        columns: merged(left.columns, right.columns),
        exact: left.exact && right.exact && left.columns.length === right.columns.length,
      };
    }
    if (Array.isArray(body['valuesLists'])) {
      const columns: Array<[string, Lineage]> = [];
      for (const row of body['valuesLists'] as Node[]) {
        const items = (entry(row)[1]['items'] as Node[] | undefined) ?? [];
        items.forEach((item, i) => {
          const l = this.#expr(item, scope, depth);
          columns[i] = [`column${i + 1}`, columns[i] ? union(columns[i]![1], l) : l];
        });
      }
      return { columns, exact: true };
    }
    const from = body['fromClause'];
    if (Array.isArray(from))
      for (const item of from) scope.rels.push(...this.#fromItem(item, scope, depth));
    return this.#targets((body['targetList'] as Node[] | undefined) ?? [], scope, depth);
  }

  #targets(
    list: Node[],
    scope: Scope,
    depth: number,
  ): { columns: Array<[string, Lineage]>; exact: boolean } {
    const columns: Array<[string, Lineage]> = [];
    let exact = true;
    for (const item of list) {
      const target = entry(item)[1];
      const val = target['val'] as Node | undefined;
      const star = val && starOf(val);
      if (star) {
        const rels = star.rel === undefined ? scope.rels : this.#rels(scope, star.rel);
        for (const rel of rels) {
          columns.push(...rel.columns);
          if (rel.any) {
            exact = false;
            columns.push(['?column?', rel.any]);
          }
        }
        if (rels.length === 0) exact = false;
        continue;
      }
      const lineage = val ? this.#expr(val, scope, depth) : CLEAN;
      columns.push([(target['name'] as string | undefined) ?? outputName(val), lineage]);
    }
    return { columns, exact };
  }

  /** Relations named `name` in the nearest scope that has one. */
  #rels(scope: Scope | undefined, name: string): Rel[] {
    for (let s = scope; s; s = s.parent) {
      const found = s.rels.filter((rel) => rel.name === name);
      if (found.length > 0) return found;
    }
    return [];
  }

  #fromItem(item: Node, scope: Scope, depth: number): Rel[] {
    const [type, body] = entry(item);
    const alias = body['alias'] as Node | undefined;
    const aliasName = alias?.['aliasname'] as string | undefined;
    const aliasColumns = names(alias?.['colnames']);
    const rename = (rel: Rel): Rel => ({
      ...rel,
      name: aliasName ?? rel.name,
      columns: rel.columns.map(([n, l], i) => [aliasColumns[i] ?? n, l]),
    });
    switch (type) {
      case 'RangeVar':
        return [rename(this.#relation(body, scope, depth))];
      case 'RangeSubselect': {
        const out = this.#select(entry(body['subquery'] as Node)[1], scope, depth);
        const rel: Rel = { name: undefined, columns: out.columns };
        if (!out.exact) rel.any = derive(out.columns.map(([, l]) => l));
        return [rename(rel)];
      }
      case 'RangeFunction': {
        const parts: Lineage[] = [];
        for (const fn of (body['functions'] as Node[] | undefined) ?? []) {
          const items = (entry(fn)[1]['items'] as Node[] | undefined) ?? [];
          if (items[0]) parts.push(this.#expr(items[0], scope, depth));
        }
        const lineage = derive(parts);
        const defs = ((body['coldeflist'] as Node[] | undefined) ?? []).map(
          (d) => entry(d)[1]['colname'] as string,
        );
        const first = (body['functions'] as Node[] | undefined)?.[0];
        const fname = first ? funcName(((entry(first)[1]['items'] as Node[]) ?? [])[0]) : undefined;
        const cols = (aliasColumns.length > 0 ? aliasColumns : defs).map(
          (n) => [n, lineage] as [string, Lineage],
        );
        return [{ name: aliasName ?? fname, columns: cols, any: lineage }];
      }
      case 'JoinExpr': {
        const left = this.#fromItem(body['larg'] as Node, scope, depth);
        const right = this.#fromItem(
          body['rarg'] as Node,
          { ...scope, rels: [...scope.rels, ...left] },
          depth,
        );
        const all = [...left, ...right];
        if (!aliasName) return all;
        const joined: Rel = { name: aliasName, columns: all.flatMap((r) => r.columns) };
        const anys = all.flatMap((r) => (r.any ? [r.any] : []));
        if (anys.length > 0) joined.any = derive(anys);
        return [...all.map((r) => ({ ...r, name: undefined })), rename(joined)];
      }
      case 'RangeTableSample':
        return this.#fromItem(body['relation'] as Node, scope, depth).map(rename);
      default:
        // XMLTABLE, JSON_TABLE, …: every column computed from the arguments.
        return [{ name: aliasName, columns: [], any: derive([this.#generic(body, scope, depth)]) }];
    }
  }

  #relation(range: Node, scope: Scope, depth: number): Rel {
    const name = range['relname'] as string;
    const schema = range['schemaname'] as string | undefined;
    if (!schema) {
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        const cte = s.ctes.get(name);
        if (cte) return { ...cte, name };
      }
    }
    if (OPAQUE_RELATIONS.has(name) && (!schema || schema === 'pg_catalog')) {
      return { name, columns: [], any: OPAQUE };
    }
    const found = this.#catalog.relations(schema, name);
    if (found.length === 0) {
      // Created since the catalog was loaded (a view over a masked table, a temporary copy):
      // untraced until the reload this asks for, like an unknown table OID.
      this.missed = true;
      return { name, columns: [], any: OPAQUE };
    }
    let columns: Array<[string, Lineage]> | undefined;
    for (const rel of found) {
      let cols: Array<[string, Lineage]>;
      if (rel.definition !== undefined) {
        // A view of the user's: by its definition. System views (no definition loaded) show
        // catalog data and are read like tables; those that show sampled values are opaque.
        cols = this.viewColumns(rel, depth) ?? rel.columns.map((c) => [c, OPAQUE]);
      } else cols = rel.columns.map((c) => [c, { direct: [{ table: rel.table, column: c }] }]);
      columns = columns ? byName(columns, cols) : cols;
    }
    return { name, columns: columns ?? [] };
  }

  /** A column reference by name, from the nearest scope that has it. */
  #column(scope: Scope, path: string[]): Lineage {
    if (path.length === 1) {
      const [name] = path as [string];
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        const hits: Lineage[] = [];
        for (const rel of s.rels) {
          for (const [n, l] of rel.columns) if (n === name) hits.push(l);
          if (rel.any && !rel.columns.some(([n]) => n === name)) hits.push(rel.any);
        }
        if (
          hits.some((h) => h !== CLEAN) ||
          s.rels.some((r) => r.columns.some(([n]) => n === name))
        ) {
          return hits.reduce(union, CLEAN);
        }
        const whole = s.rels.filter((rel) => rel.name === name);
        if (whole.length > 0) return whole.map(recordOf).reduce(union, CLEAN);
      }
      return CLEAN;
    }
    const column = path[path.length - 1]!;
    const relName = path[path.length - 2]!;
    const rels = this.#rels(scope, relName);
    if (rels.length > 0) {
      let result: Lineage = CLEAN;
      for (const rel of rels) {
        const hit = rel.columns.find(([n]) => n === column);
        if (hit) result = union(result, hit[1]);
        else if (rel.any) result = union(result, rel.any);
      }
      return result;
    }
    // `composite_column.field`: a field of a column's value.
    return derive([this.#column(scope, [relName])]);
  }

  #expr(node: Node, scope: Scope, depth: number): Lineage {
    const [type, body] = entry(node);
    switch (type) {
      case 'ColumnRef': {
        const fields = (body['fields'] as Node[]) ?? [];
        const last = fields[fields.length - 1];
        const path = fields.flatMap((f) =>
          entry(f)[0] === 'String' ? [entry(f)[1]['sval'] as string] : [],
        );
        if (last && entry(last)[0] === 'A_Star') {
          const rels = path.length === 0 ? scope.rels : this.#rels(scope, path[path.length - 1]!);
          return rels.map(recordOf).reduce(union, CLEAN);
        }
        return this.#column(scope, path);
      }
      case 'A_Const':
      case 'ParamRef':
      case 'SQLValueFunction':
      case 'SetToDefault':
        return CLEAN;
      case 'TypeCast': {
        const arg = this.#expr(body['arg'] as Node, scope, depth);
        const typeName = body['typeName'] as Node;
        const tname = names(typeName['names']).at(-1) ?? '';
        if (arg.keys && (tname === 'json' || tname === 'jsonb' || TEXT_TYPES.has(tname)))
          return arg;
        // A record's text is its output form, masked per field like the record itself.
        if (arg.fields && TEXT_TYPES.has(tname) && !typeName['typmods']) return arg;
        const casts = this.#catalog.hiddenCalls?.('cast', tname) ?? [];
        if (casts.length > 0) {
          return derive([arg, ...casts.map((fn) => this.functionLineage(fn, depth))]);
        }
        const keeps = TEXT_TYPES.has(tname) && !typeName['typmods'] && !typeName['arrayBounds'];
        if (keeps && arg.direct && !arg.derived && !arg.opaque && !arg.fields && !arg.keys)
          return arg;
        return derive([arg]);
      }
      case 'CollateClause':
        return this.#expr(body['arg'] as Node, scope, depth);
      case 'A_Expr': {
        const ops = this.#catalog.hiddenCalls?.('operator', names(body['name']).at(-1) ?? '') ?? [];
        const value = this.#generic(body, scope, depth);
        if (ops.length === 0) return value;
        return derive([value, ...ops.map((fn) => this.functionLineage(fn, depth))]);
      }
      case 'FuncCall':
        return this.#call(body, scope, depth);
      case 'SubLink': {
        const sub = this.#select(
          entry(body['subselect'] as Node)[1],
          { ...scope, rels: [], parent: scope },
          depth,
        );
        const parts = sub.columns.map(([, l]) => l);
        if (!sub.exact) parts.push(OPAQUE);
        if (body['testexpr']) parts.push(this.#expr(body['testexpr'] as Node, scope, depth));
        if (body['subLinkType'] === 'EXPR_SUBLINK' && sub.exact && parts.length === 1) {
          return parts[0]!;
        }
        return derive(parts);
      }
      case 'RowExpr': {
        const args = (body['args'] as Node[] | undefined) ?? [];
        const colnames = names(body['colnames']);
        // `t.*` inside ROW() stands for t's columns, one field each.
        const values: Lineage[] = [];
        for (const arg of args) {
          const value = this.#expr(arg, scope, depth);
          if (starOf(arg) && value.fields) values.push(...value.fields.map(([, l]) => l));
          else if (starOf(arg)) values.push(OPAQUE);
          else values.push(value);
        }
        return {
          fields: values.map((l, i): [string, Lineage] => [colnames[i] ?? `f${i + 1}`, l]),
        };
      }
      case 'A_Indirection': {
        let value = this.#expr(body['arg'] as Node, scope, depth);
        for (const step of (body['indirection'] as Node[] | undefined) ?? []) {
          const [stype, sbody] = entry(step);
          if (stype === 'String' && value.fields) {
            const hit = value.fields.find(([n]) => n === sbody['sval']);
            value = hit ? hit[1] : derive([value]);
          } else if (stype !== 'A_Star') value = derive([value]);
        }
        return value;
      }
      default:
        return this.#generic(body, scope, depth);
    }
  }

  /** Any other node: computed from everything under it. */
  #generic(body: unknown, scope: Scope, depth: number): Lineage {
    const parts: Lineage[] = [];
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) {
        for (const v of value) visit(v);
        return;
      }
      if (!value || typeof value !== 'object') return;
      const keys = Object.keys(value);
      if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) {
        const [type, inner] = entry(value as Node);
        if (type === 'SelectStmt') {
          const sub = this.#select(inner, { ...scope, rels: [], parent: scope }, depth);
          parts.push(...sub.columns.map(([, l]) => l));
        } else parts.push(this.#expr(value as Node, scope, depth));
        return;
      }
      for (const key of keys) visit((value as Node)[key]);
    };
    visit(body);
    return derive(parts);
  }

  #call(body: Node, scope: Scope, depth: number): Lineage {
    const parts = names(body['funcname']);
    const name = parts[parts.length - 1] ?? '';
    const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
    const args = (body['args'] as Node[] | undefined) ?? [];
    const argLineage = () => args.map((a) => this.#expr(a, scope, depth));
    const user = schema === 'pg_catalog' ? [] : this.#catalog.functions(schema, name);
    if (user.length > 0) {
      return derive([...argLineage(), ...user.map((fn) => this.functionLineage(fn, depth))]);
    }
    if (schema !== undefined && schema !== 'pg_catalog') {
      this.missed = true;
      return OPAQUE;
    }
    if (OPAQUE_BUILTINS.has(name)) return OPAQUE;
    if (!this.#catalog.isBuiltin(name)) {
      this.missed = true;
      return OPAQUE;
    }
    if (JSON_OF_RECORD.has(name) && args.length >= 1) {
      const arg = this.#expr(args[0]!, scope, depth);
      const keys = keysOf(arg);
      if (keys) return { keys };
      return derive([arg]);
    }
    if (JSON_BUILD_OBJECT.has(name) && args.length % 2 === 0) {
      const keys = new Map<string, Lineage>();
      for (let i = 0; i < args.length; i += 2) {
        const key = constString(args[i]!);
        const value = this.#expr(args[i + 1]!, scope, depth);
        if (key === undefined) return derive(argLineage());
        const nested = keysOf(value);
        if (nested) for (const [k, l] of nested) addKey(keys, k, l);
        else addKey(keys, key, value);
      }
      return { keys };
    }
    return derive([...argLineage(), ...(body['agg_filter'] ? [] : [])]);
  }
}

function parseStatements(sql: string): Node[] | undefined {
  if (sql.includes('\0')) return undefined;
  try {
    const tree = parseSync(sql) as { stmts?: Array<{ stmt?: Node }> };
    return (tree.stmts ?? []).map((s) => s.stmt ?? {});
  } catch {
    return undefined;
  }
}

function entry(node: Node): [string, Node] {
  const key = Object.keys(node)[0] ?? '';
  return [key, (node[key] as Node | undefined) ?? {}];
}

function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: Node) => {
    const [type, body] = entry(item);
    return type === 'String' ? [body['sval'] as string] : [];
  });
}

function constString(node: Node): string | undefined {
  const [type, body] = entry(node);
  if (type !== 'A_Const') return undefined;
  const sval = body['sval'] as Node | undefined;
  return sval ? ((sval['sval'] as string | undefined) ?? '') : undefined;
}

function funcName(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const [type, body] = entry(node);
  return type === 'FuncCall' ? names(body['funcname']).at(-1) : undefined;
}

/** `*` or `rel.*` at the top of a target: which relation, undefined for all. */
function starOf(val: Node): { rel: string | undefined } | undefined {
  const [type, body] = entry(val);
  if (type !== 'ColumnRef') return undefined;
  const fields = (body['fields'] as Node[]) ?? [];
  const last = fields[fields.length - 1];
  if (!last || entry(last)[0] !== 'A_Star') return undefined;
  const path = names(fields);
  return { rel: path[path.length - 1] };
}

/** PostgreSQL's output name for an unnamed target (FigureColname), as far as it matters here. */
function outputName(val: Node | undefined): string {
  if (!val) return '?column?';
  const [type, body] = entry(val);
  if (type === 'ColumnRef') return names(body['fields']).at(-1) ?? '?column?';
  if (type === 'FuncCall') return names(body['funcname']).at(-1) ?? '?column?';
  if (type === 'TypeCast') {
    const inner = outputName(body['arg'] as Node);
    return inner === '?column?'
      ? (names((body['typeName'] as Node)['names']).at(-1) ?? inner)
      : inner;
  }
  if (type === 'A_Indirection') {
    const last = (body['indirection'] as Node[] | undefined)?.at(-1);
    if (last && entry(last)[0] === 'String') return entry(last)[1]['sval'] as string;
  }
  return '?column?';
}

/** What a relation's columns derive from, comparable between rounds. */
function signature(rel: Rel): string {
  const parts = rel.columns.map(([n, l]) => {
    const { sources, opaque } = sourcesOf(l);
    const kind = l.derived || l.fields || l.keys ? 'd' : 'c';
    return `${n}:${kind}:${opaque}:${sources
      .map((s) => `${s.table}.${s.column}`)
      .sort()
      .join(',')}`;
  });
  return `${parts.join(';')}|${rel.any ? JSON.stringify(sourcesOf(rel.any)) : ''}`;
}

function recordOf(rel: Rel): Lineage {
  if (rel.any) return derive([rel.any, ...rel.columns.map(([, l]) => l)]);
  return { fields: rel.columns };
}

/** A record's or JSON value's keys, flattened (masking applies to a key at any depth). */
function keysOf(value: Lineage): Map<string, Lineage> | undefined {
  if (value.keys) return new Map(value.keys);
  if (!value.fields || value.direct || value.derived || value.opaque) return undefined;
  const keys = new Map<string, Lineage>();
  for (const [name, l] of value.fields) {
    const nested = keysOf(l);
    if (nested) for (const [k, v] of nested) addKey(keys, k, v);
    else addKey(keys, name, l);
  }
  return keys;
}

function addKey(keys: Map<string, Lineage>, key: string, value: Lineage): void {
  const seen = keys.get(key);
  keys.set(key, seen ? union(seen, value) : value);
}

/** Every source of a value, and whether any part is opaque. */
export function sourcesOf(value: Lineage): { sources: Source[]; opaque: boolean } {
  const sources: Source[] = [];
  let opaque = false;
  const visit = (l: Lineage): void => {
    if (l.opaque) opaque = true;
    if (l.direct) sources.push(...l.direct);
    if (l.derived) sources.push(...l.derived);
    if (l.fields) for (const [, f] of l.fields) visit(f);
    if (l.keys) for (const k of l.keys.values()) visit(k);
  };
  visit(value);
  return { sources, opaque };
}

/** A value computed from all of `parts`. */
export function derive(parts: readonly Lineage[]): Lineage {
  const sources: Source[] = [];
  let opaque = false;
  for (const part of parts) {
    const s = sourcesOf(part);
    sources.push(...s.sources);
    opaque ||= s.opaque;
  }
  if (opaque) return sources.length > 0 ? { derived: dedupe(sources), opaque: true } : OPAQUE;
  return sources.length > 0 ? { derived: dedupe(sources) } : CLEAN;
}

/** Either value (a set operation's branches, ambiguous names). */
function union(a: Lineage, b: Lineage): Lineage {
  if (a === CLEAN || isEmpty(a)) return b;
  if (b === CLEAN || isEmpty(b)) return a;
  const plain = (l: Lineage) => !l.derived && !l.opaque && !l.fields && !l.keys;
  if (plain(a) && plain(b)) return { direct: dedupe([...a.direct!, ...b.direct!]) };
  return derive([a, b]);
}

function isEmpty(l: Lineage): boolean {
  return !l.direct && !l.derived && !l.opaque && !l.fields && !l.keys;
}

function merged(
  a: ReadonlyArray<[string, Lineage]>,
  b: ReadonlyArray<[string, Lineage]>,
): Array<[string, Lineage]> {
  const length = Math.max(a.length, b.length);
  const out: Array<[string, Lineage]> = [];
  for (let i = 0; i < length; i++) {
    const left = a[i];
    const right = b[i];
    out.push([left?.[0] ?? right![0], union(left?.[1] ?? CLEAN, right?.[1] ?? CLEAN)]);
  }
  return out;
}

/**
 * Relations of the same name in several schemas (which one the session's search_path picks is
 * not known here): each column name may come from any of them.
 */
function byName(
  a: ReadonlyArray<[string, Lineage]>,
  b: ReadonlyArray<[string, Lineage]>,
): Array<[string, Lineage]> {
  const out = a.map(([n, l]): [string, Lineage] => {
    const other = b.find(([m]) => m === n);
    return [n, other ? union(l, other[1]) : l];
  });
  for (const [n, l] of b) if (!a.some(([m]) => m === n)) out.push([n, l]);
  return out;
}

function dedupe(sources: Source[]): Source[] {
  const seen = new Set<string>();
  return sources.filter((s) => {
    const key = `${s.table}\u0000${s.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
