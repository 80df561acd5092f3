/**
 * Masking by lineage for one session (docs/masking.md): which statements need the analysis
 * (a quick test of the text against the names that can reach a masked column), the analysis
 * cached per text, and the column maskers each output column gets.
 */

import type { ColumnMaskFn, SessionMasker } from '../../../masking/index.js';
import { REDACTED } from '../../../masking/index.js';
import { sqlShape } from '../classify/shape.js';
import type { LoadedCatalog } from './catalog.js';
import { maskJsonKeys } from './json-keys.js';
import {
  isOpaqueRelation,
  type Lineage,
  LineageAnalyzer,
  type Source,
  type StatementLineage,
  sourcesOf,
} from './lineage.js';
import { maskRecordFields } from './record-fields.js';

/** How one statement's result columns are masked by lineage. */
export type ResultLineage =
  | {
      readonly kind: 'rows';
      /** Per output column: a masker, or undefined (no masked source). */
      readonly masks: ReadonlyArray<ColumnMaskFn | undefined>;
      readonly exact: boolean;
      /** For every computed column when the count does not match: any masked source. */
      readonly fallback: ColumnMaskFn | undefined;
    }
  | { readonly kind: 'none' }
  /** Untraced (EXECUTE, FETCH, CALL, a text that did not parse): computed columns fail closed. */
  | { readonly kind: 'maybe' };

/** The masker that redacts whole: a transformed value cannot keep a column's strategy. */
export const REDACT_WHOLE: ColumnMaskFn = () => REDACTED;

/** Per catalog load: one analyzer (views and functions read once) shared by sessions. */
const analyzers = new WeakMap<LoadedCatalog, LineageAnalyzer>();

function analyzerFor(catalog: LoadedCatalog): LineageAnalyzer {
  let analyzer = analyzers.get(catalog);
  if (!analyzer) {
    analyzer = new LineageAnalyzer(catalog);
    analyzers.set(catalog, analyzer);
  }
  return analyzer;
}

/**
 * Word lists per catalog load and identity (`shareKey`: the groups the masker was made for),
 * so a new session of the same identity does not recompute them.
 */
const wordLists = new WeakMap<LoadedCatalog, Map<string, Words>>();

/** Words that make a text worth analysing whatever the catalog says. */
const ALWAYS = ['fetch', 'execute', 'call', 'u&', '_to_xml', 'ts_stat', 'pg_stat'];
/** Words before `(` that are not function names (a missing one only costs an analysis). */
const KEYWORDS = new Set(
  `in values exists coalesce nullif greatest least cast row array any all some over filter within
  as using on and or not select where from join when then else case by set returning into with
  extract position substring overlay trim treat xmlelement xmlforest xmlattributes xmlparse xmlpi
  xmlroot xmlserialize xmlconcat xmlexists grouping cube rollup sets interval numeric decimal char
  character varchar timestamp time bit float json_object json_array json_arrayagg json_objectagg
  json json_scalar json_serialize json_query json_value json_exists json_table is lateral default
  table partition window between like ilike similar limit offset for of key primary unique
  references check constraint do if merge matched distinct collate escape tablesample repeatable
  ordinality rows range groups preceding following nulls only recursive materialized conflict
  update insert delete except union intersect return returns include options prepare explain
  analyze verbose format copy to varying precision`.split(/\s+/),
);
const CALL = /([A-Za-z_][A-Za-z0-9_$]*)\s*\(/g;
/** A relation named after FROM or JOIN (quoted parts kept; only the last part is compared). */
const RELATION =
  /\b(?:from|join)\s+((?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*))*)/g;
const CACHE_LIMIT = 2048;

/** One session's lineage masking: statements by text, cached. */
export class SessionLineage {
  readonly #masker: SessionMasker;
  readonly #catalog: () => LoadedCatalog | undefined;
  readonly #onMiss: () => void;
  readonly #shareKey: string | undefined;
  #words: Words | undefined;
  readonly #queries = new Map<string, ResultLineage[] | null>();
  readonly #executes = new Map<string, ResultLineage | null>();
  /** The same answers by shape (texts differing only in numeric constants). */
  readonly #queryShapes = new Map<string, ResultLineage[] | null>();
  readonly #executeShapes = new Map<string, ResultLineage | null>();
  readonly #viewColumns = new Map<string, ColumnMaskFn | undefined>();
  /** The catalog the cached answers were made with. */
  #cachedFor: LoadedCatalog | undefined;

  constructor(
    masker: SessionMasker,
    catalog: () => LoadedCatalog | undefined,
    onMiss: () => void = () => {},
    shareKey?: string,
  ) {
    this.#shareKey = shareKey;
    this.#masker = masker;
    this.#catalog = catalog;
    this.#onMiss = onMiss;
  }

  /**
   * A view's column (RowDescription table OID and column number) by what the view's definition
   * derives it from; undefined for tables and for view columns with no masked source.
   */
  viewColumnMask(oid: number, attnum: number): ColumnMaskFn | undefined {
    const catalog = this.#fresh();
    const rel = catalog?.relation(oid);
    if (rel && isOpaqueRelation(rel.table)) return REDACT_WHOLE;
    if (!catalog || rel?.definition === undefined) return undefined;
    const key = `${oid}:${attnum}`;
    if (this.#viewColumns.has(key)) return this.#viewColumns.get(key);
    let mask: ColumnMaskFn | undefined = REDACT_WHOLE;
    try {
      const lineage = analyzerFor(catalog).viewColumns(rel, 0)?.[attnum - 1]?.[1];
      if (lineage) mask = this.#lineageMask(lineage);
    } catch {
      // fail closed
    }
    remember(this.#viewColumns, key, mask);
    return mask;
  }

  /** The current catalog; cached answers are dropped when it was reloaded. */
  #fresh(): LoadedCatalog | undefined {
    const catalog = this.#catalog();
    if (catalog !== this.#cachedFor) {
      this.#cachedFor = catalog;
      this.#queries.clear();
      this.#executes.clear();
      this.#queryShapes.clear();
      this.#executeShapes.clear();
      this.#viewColumns.clear();
    }
    return catalog;
  }

  /** Each statement of a simple Query, in order; undefined when none can reach a masked column. */
  forQuery(sql: string): ResultLineage[] | undefined {
    this.#fresh();
    const exact = this.#queries.get(sql);
    if (exact !== undefined) return exact ?? undefined;
    // Texts that differ only in numeric constants derive their columns alike (classify/shape.ts).
    const key = sqlShape(sql) ?? sql;
    const cached = this.#queryShapes.get(key);
    if (cached !== undefined) {
      remember(this.#queries, sql, cached);
      return cached ?? undefined;
    }
    let result: ResultLineage[] | null = null;
    const catalog = this.#catalog();
    try {
      if (catalog && this.#worthAnalysing(sql, catalog)) {
        const analyzer = analyzerFor(catalog);
        const statements = analyzer.analyse(sql);
        this.#missed(analyzer);
        result = statements ? statements.map((s) => this.#resolve(s)) : [{ kind: 'maybe' }];
      }
    } catch {
      result = [{ kind: 'maybe' }]; // a parse tree the analysis did not expect: fail closed
    }
    remember(this.#queryShapes, key, result);
    remember(this.#queries, sql, result);
    return result ?? undefined;
  }

  /** The statement an Execute runs (a Parse'd text, or a SQL PREPARE's query). */
  forExecute(sql: string): ResultLineage | undefined {
    this.#fresh();
    const exact = this.#executes.get(sql);
    if (exact !== undefined) return exact ?? undefined;
    const key = sqlShape(sql) ?? sql;
    const cached = this.#executeShapes.get(key);
    if (cached !== undefined) return cached ?? undefined;
    let result: ResultLineage | null = null;
    const catalog = this.#catalog();
    try {
      if (catalog && this.#worthAnalysing(sql, catalog)) {
        const analyzer = analyzerFor(catalog);
        const statement = analyzer.analyseExecuted(sql);
        this.#missed(analyzer);
        result = statement ? this.#resolve(statement) : { kind: 'maybe' };
      }
    } catch {
      result = { kind: 'maybe' };
    }
    remember(this.#executeShapes, key, result);
    remember(this.#executes, sql, result);
    return result ?? undefined;
  }

  #missed(analyzer: LineageAnalyzer): void {
    if (!analyzer.missed) return;
    analyzer.missed = false;
    this.#onMiss();
  }

  /**
   * The cheap test: the text names a relation or function that can reach a masked column, calls
   * a function the catalog does not know, or uses a construct that is never traced.
   */
  #worthAnalysing(sql: string, catalog: LoadedCatalog): boolean {
    const { words, functions, relations } = this.#wordsFor(catalog);
    const lower = sql.toLowerCase();
    for (const word of words) if (lower.includes(word)) return true;
    CALL.lastIndex = 0;
    for (let m = lower.includes('(') ? CALL.exec(lower) : null; m; m = CALL.exec(lower)) {
      const name = m[1]!;
      if (!KEYWORDS.has(name) && !catalog.isBuiltin(name) && !functions.has(name)) return true;
    }
    // A relation the catalog does not know (created since it was loaded, or a CTE's name).
    RELATION.lastIndex = 0;
    for (let m = RELATION.exec(lower); m; m = RELATION.exec(lower)) {
      const last = m[1]!.split('.').at(-1)!.trim();
      const name = last.startsWith('"') ? last.slice(1, -1).replaceAll('""', '"') : last;
      if (!relations.has(name) && !KEYWORDS.has(name)) return true;
    }
    return false;
  }

  #wordsFor(catalog: LoadedCatalog): Words {
    if (this.#words?.catalog === catalog) return this.#words;
    const shared = this.#shareKey === undefined ? undefined : wordLists.get(catalog);
    const known = shared?.get(this.#shareKey!);
    if (known) {
      this.#words = known;
      return known;
    }
    const analyzer = analyzerFor(catalog);
    const words = new Set(ALWAYS);
    const relations = new Set<string>();
    for (const rel of catalog.allRelations()) {
      relations.add(rel.table.slice(rel.table.indexOf('.') + 1).toLowerCase());
      const name = rel.table.slice(rel.table.indexOf('.') + 1).toLowerCase();
      if (isOpaqueRelation(rel.table)) words.add(name);
      else if (rel.definition !== undefined) {
        const columns = analyzer.viewColumns(rel, 0);
        if (!columns || columns.some(([, l]) => this.#lineageMask(l) !== undefined)) {
          words.add(name);
        }
      } else if (
        this.#masker.coversTable(rel.table) &&
        rel.columns.some((c) => this.#masker.columnMasker(rel.table, c))
      ) {
        words.add(name);
      }
    }
    // Functions that can reach a masked column are words; the others are known and clean.
    const clean = new Set<string>();
    for (const name of catalog.userFunctionNames()) {
      const reaches = catalog
        .functions(undefined, name)
        .some((fn) => this.#lineageMask(analyzer.functionLineage(fn, 0)) !== undefined);
      if (reaches) words.add(name.toLowerCase());
      else clean.add(name.toLowerCase());
    }
    for (const [name, fns] of catalog.allHiddenCalls()) {
      const reaches = fns.some(
        (fn) => this.#lineageMask(analyzer.functionLineage(fn, 0)) !== undefined,
      );
      if (reaches) words.add(name.toLowerCase());
    }
    this.#words = { catalog, words: [...words], functions: clean, relations };
    if (this.#shareKey !== undefined) {
      const lists = wordLists.get(catalog) ?? new Map<string, Words>();
      if (lists.size >= 256) lists.clear();
      lists.set(this.#shareKey, this.#words);
      wordLists.set(catalog, lists);
    }
    return this.#words;
  }

  #resolve(statement: StatementLineage): ResultLineage {
    if (statement.kind !== 'rows') return statement;
    const masks = statement.columns.map((l) => this.#lineageMask(l));
    const any = masks.some((m) => m !== undefined);
    return {
      kind: 'rows',
      masks,
      exact: statement.exact,
      fallback: any ? REDACT_WHOLE : undefined,
    };
  }

  /**
   * The masker a value gets from its lineage: the column's own when it is a masked column's
   * value unchanged; per key inside JSON of known structure; redacted whole when it is computed
   * from a masked column or cannot be traced; undefined when no source is masked.
   */
  #lineageMask(lineage: Lineage): ColumnMaskFn | undefined {
    if (lineage.keys && !lineage.direct && !lineage.derived && !lineage.opaque) {
      const keys = new Map<string, ColumnMaskFn>();
      for (const [key, value] of lineage.keys) {
        const mask = this.#lineageMask(value);
        if (mask) keys.set(key, mask);
      }
      if (keys.size === 0) return undefined;
      const masker = this.#masker;
      return (text) => {
        const masked = maskJsonKeys(text, keys);
        return masked === undefined ? REDACTED : masker.maskText(masked);
      };
    }
    if (lineage.fields && !lineage.direct && !lineage.derived && !lineage.opaque) {
      const masks = lineage.fields.map(([, value]) => this.#lineageMask(value));
      if (masks.every((m) => m === undefined)) return undefined;
      const masker = this.#masker;
      return (text) => {
        const masked = maskRecordFields(text, masks);
        return masked === undefined ? REDACTED : masker.maskText(masked);
      };
    }
    const { sources, opaque } = sourcesOf(lineage);
    if (opaque) return REDACT_WHOLE;
    const masked = sources.filter((s) => this.#sourceMask(s) !== undefined);
    if (masked.length === 0) return undefined;
    const plain = !lineage.derived && !lineage.fields && !lineage.keys && lineage.direct;
    if (plain) {
      const fns = new Set(masked.map((s) => this.#sourceMask(s)));
      if (fns.size === 1 && masked.length === lineage.direct!.length) return [...fns][0];
    }
    return REDACT_WHOLE;
  }

  #sourceMask(source: Source): ColumnMaskFn | undefined {
    return this.#masker.columnMasker(source.table, source.column);
  }
}

interface Words {
  catalog: LoadedCatalog;
  /** Lower-case names whose presence in a text calls for the analysis. */
  words: string[];
  /** User functions that reach no masked column. */
  functions: Set<string>;
  /** Every relation name the catalog knows, in lower case. */
  relations: Set<string>;
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}
