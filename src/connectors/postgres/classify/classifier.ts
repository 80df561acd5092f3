import { loadModule, parseSync } from 'libpg-query';
import { LruCache } from './cache.js';
import type { SqlClassification } from './classification.js';
import { StatementFacts } from './facts.js';
import { parseOffThread } from './off-thread.js';
import type { PreparedStatements } from './prepared.js';
import { sqlShape } from './shape.js';
import { NODE_HANDLERS } from './statements.js';
import { type WalkContext, walkAst } from './walk.js';

export type { SqlClassification } from './classification.js';
export { PreparedStatements } from './prepared.js';

export interface SqlClassifierOptions {
  /** Distinct texts and shapes kept (default 10 000; a quarter of it for shapes). */
  cacheEntries?: number;
  /**
   * Total characters of cached texts and shapes (default 16 Mi; a quarter for shapes); longer
   * texts are parsed every time.
   */
  cacheChars?: number;
}

/** Cached per text: the final answer, or the per-statement facts when EXECUTE needs a session. */
interface ParsedSql {
  readonly result: SqlClassification;
  readonly steps?: readonly StatementFacts[];
  /** True when the answer is the same for every text of the same shape (see `classify`). */
  readonly shareable: boolean;
}

const MAX_NESTING = 3;
/** Texts at least this long are parsed in a worker thread by `classifyOffThread`. */
export const OFF_THREAD_CHARS = 64 * 1024;
let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the PostgreSQL parser (WebAssembly) once per process and returns a classifier. */
export async function loadSqlClassifier(options?: SqlClassifierOptions): Promise<SqlClassifier> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  await loaded;
  return new SqlClassifier(options);
}

/**
 * Classifies SQL with the real PostgreSQL parser (libpg-query, PostgreSQL 18 grammar). Every
 * statement of a multi-statement text is classified. Never throws: text the parser rejects is
 * unclassifiable.
 *
 * Results are cached so the hot path parses each distinct statement once: by exact text, and by
 * shape for texts that differ only in numeric literals (`… WHERE aid = 48213`, as clients that
 * inline values send them). A shape (shape.ts) exists only for texts a tiny
 * lexer reads with certainty: no quotes, comments, `$` other than `$n`, backslashes or
 * non-ASCII. A result is stored under the shape only when no handler looked at a constant's
 * value (`EXPLAIN (ANALYZE 0)`, `SET work_mem = 64`, set_config() are cached by exact text) and
 * the text parsed. Known gap, fail-safe: value checks the raw grammar makes itself
 * (`x::float(0)` is a syntax error, `x::float(5)` is not) are answered like the shape's other
 * texts; PostgreSQL then rejects the whole text before running any of it.
 */
export class SqlClassifier {
  readonly #texts: LruCache<ParsedSql>;
  readonly #shapes: LruCache<ParsedSql>;
  #recent: { sql: string; parsed: ParsedSql } | undefined;

  constructor(options: SqlClassifierOptions = {}) {
    if (!ready) throw new TypeError('create the SqlClassifier with loadSqlClassifier()');
    const entries = options.cacheEntries ?? 10_000;
    const chars = options.cacheChars ?? 16 * 2 ** 20;
    const shapeEntries = Math.max(1, Math.floor(entries / 4));
    const shapeChars = Math.max(1, Math.floor(chars / 4));
    this.#texts = new LruCache(
      Math.max(1, entries - shapeEntries),
      Math.max(1, chars - shapeChars),
    );
    this.#shapes = new LruCache(shapeEntries, shapeChars);
  }

  /** Entries cached by exact text and by shape. */
  get cacheSize(): { texts: number; shapes: number } {
    return { texts: this.#texts.size, shapes: this.#shapes.size };
  }

  /**
   * Classifies `sql`. `prepared` (the session's prepared statements) resolves EXECUTE; classify
   * at the moment of execution, since a name can be redefined. Pass the result to
   * `prepared.apply()` once the target has answered.
   */
  classify(sql: string, prepared?: PreparedStatements): SqlClassification {
    const parsed = this.#texts.get(sql) ?? this.#parseOrShare(sql);
    return parsed.steps ? resolve(parsed, prepared) : parsed.result;
  }

  /**
   * `classify`, except that a text of OFF_THREAD_CHARS or more that is not cached is parsed in
   * a worker thread (off-thread.ts), so other sessions are not held up meanwhile: then a promise.
   * EXECUTE is resolved against `prepared` when the answer comes, not before.
   */
  classifyOffThread(
    sql: string,
    prepared?: PreparedStatements,
  ): SqlClassification | Promise<SqlClassification> {
    const cached = this.#recent?.sql === sql ? this.#recent.parsed : this.#texts.get(sql);
    if (cached) return cached.steps ? resolve(cached, prepared) : cached.result;
    if (sql.length < OFF_THREAD_CHARS || sql.includes('\0')) return this.classify(sql, prepared);
    return parseOffThread(sql).then(
      (tree) => this.#settle(sql, parseText(sql, tree as ParseTree), prepared),
      () => this.#settle(sql, { result: UNPARSABLE, shareable: false }, prepared),
    );
  }

  #settle(sql: string, parsed: ParsedSql, prepared?: PreparedStatements): SqlClassification {
    this.#texts.set(sql, parsed);
    // Also kept aside: a text too long for the cache is asked for again once this resolves.
    this.#recent = { sql, parsed };
    return parsed.steps ? resolve(parsed, prepared) : parsed.result;
  }

  #parseOrShare(sql: string): ParsedSql {
    const shape = sqlShape(sql);
    // A text without numbers is its own shape: it is kept by text.
    const shaped = shape !== undefined && shape !== sql;
    const shared = shaped ? this.#shapes.get(shape) : undefined;
    if (shared !== undefined) return shared;
    const parsed = parseText(sql);
    // Also by text, so a text repeated as it is (`LIMIT 1`, `WHERE deleted = 0`) keeps the
    // cheapest hit; later texts of the shape are shape hits and are not stored again.
    this.#texts.set(sql, parsed);
    if (shaped && parsed.shareable) this.#shapes.set(shape, parsed);
    return parsed;
  }
}

type ParseTree = { stmts?: { stmt?: unknown; stmt_location?: number; stmt_len?: number }[] };

/** `tree`: the text's parse tree when it was parsed already (in the worker). */
function parseText(sql: string, tree?: ParseTree): ParsedSql {
  // The parser reads a C string: it would classify only what precedes the first NUL.
  if (sql.includes('\0')) return { result: UNPARSABLE, shareable: false };
  const steps = analyse(sql, 0, tree);
  if (steps === undefined) return { result: UNPARSABLE, shareable: false };
  const result = combine(steps, () => undefined);
  // Prepared statements are resolved by name at each call, never by a constant's value, so
  // texts with EXECUTE share a shape as well as any other.
  const shareable = !steps.some((step) => step.readsConstant);
  return steps.some((step) => step.executes.length > 0)
    ? { result, steps: Object.freeze(steps), shareable }
    : { result, shareable };
}

/** One StatementFacts per top-level statement; undefined when the text does not parse. */
function analyse(sql: string, depth: number, parsed?: ParseTree): StatementFacts[] | undefined {
  if (sql.trim() === '') return [];
  let tree: ParseTree;
  try {
    tree = parsed ?? (parseSync(sql) as ParseTree);
  } catch {
    return undefined;
  }
  // Encoded at most once per text, and only when a routine body needs its source.
  let bytes: Buffer | undefined;
  const utf8 = () => {
    bytes ??= Buffer.from(sql, 'utf8');
    return bytes;
  };
  return (tree.stmts ?? []).map((raw) => {
    const facts = new StatementFacts();
    const ctx = contextFor(utf8, raw.stmt_location ?? 0, raw.stmt_len ?? 0, depth);
    walkAst(raw.stmt, facts, ctx, NODE_HANDLERS);
    if (facts.classes.size === 0) facts.markUnclassifiable();
    facts.pruneRead();
    return facts;
  });
}

function contextFor(
  utf8: () => Buffer,
  location: number,
  length: number,
  depth: number,
): WalkContext {
  const ctx: WalkContext = {
    walk: (node, facts) => walkAst(node, facts, ctx, NODE_HANDLERS),
    // The parser reports byte offsets into the UTF-8 text.
    statementText: () =>
      utf8()
        .subarray(location, length > 0 ? location + length : undefined)
        .toString('utf8'),
    classifyNested: (text) => {
      if (depth >= MAX_NESTING) return undefined;
      const steps = analyse(text, depth + 1);
      if (!steps) return undefined;
      const merged = new StatementFacts();
      for (const step of steps) merged.absorb(step);
      return merged;
    },
  };
  return ctx;
}

/** Resolves EXECUTE against the session, in statement order (a text may PREPARE then EXECUTE). */
function resolve(parsed: ParsedSql, prepared: PreparedStatements | undefined): SqlClassification {
  return combine(parsed.steps!, (name) => prepared?.get(name));
}

function combine(
  steps: readonly StatementFacts[],
  lookup: (name: string) => SqlClassification | undefined,
): SqlClassification {
  const classes = new Set<string>();
  let whereAbsent = false;
  let unclassifiable = false;
  const local = new Map<string, SqlClassification | null>();
  let droppedAll = false;
  const prepare: { name: string; classification: SqlClassification }[] = [];
  const deallocated: string[] = [];
  for (const step of steps) {
    for (const name of step.classes) classes.add(name);
    whereAbsent ||= step.whereAbsent;
    unclassifiable ||= step.unclassifiable;
    for (const name of step.executes) {
      const target = local.has(name) ? local.get(name) : droppedAll ? undefined : lookup(name);
      if (!target) {
        unclassifiable = true;
        classes.add('unclassifiable');
        continue;
      }
      for (const c of target.classes) classes.add(c);
      whereAbsent ||= target.whereAbsent;
      unclassifiable ||= target.unclassifiable;
    }
    if (step.deallocateAll) {
      droppedAll = true;
      local.clear();
    }
    for (const name of step.deallocates) {
      local.set(name, null);
      deallocated.push(name);
    }
    for (const { name, facts } of step.prepares) {
      const classification = freezeFacts([facts]);
      local.set(name, classification);
      prepare.push({ name, classification });
    }
  }
  return Object.freeze({
    classes: Object.freeze([...classes]),
    whereAbsent,
    unclassifiable,
    statementCount: steps.length,
    ...(prepare.length > 0 && { prepare: Object.freeze(prepare) }),
    ...(droppedAll
      ? { deallocate: 'all' as const }
      : deallocated.length > 0 && { deallocate: Object.freeze(deallocated) }),
  });
}

function freezeFacts(steps: readonly StatementFacts[]): SqlClassification {
  return combine(steps, () => undefined);
}

const UNPARSABLE: SqlClassification = Object.freeze({
  classes: Object.freeze(['unclassifiable']),
  whereAbsent: false,
  unclassifiable: true,
  statementCount: 0,
});
