import {
  type CompiledRule,
  ruleCoversTable,
  ruleMatchesColumn,
  selectsColumns,
} from './compiled-rule.js';
import type { KeyedHasher } from './keyed-hash.js';
import { maskCell, stronger } from './strategies.js';
import { type DetectorEntry, TextMasker } from './text-masker.js';
import type { Strategy } from './types.js';

/** Masks one value of a column; `null` means the value becomes the protocol's null. */
export type ColumnMaskFn = (value: string) => string | null;

/** The masking that applies to one identity's session. */
export interface SessionMasker {
  /** False when no rule applies: callers skip all masking work. */
  readonly active: boolean;
  /**
   * True when some column rule applies. Text whose columns cannot be told apart (a bulk text
   * stream) then cannot honour those rules; the connector should refuse it or resolve them.
   */
  readonly hasColumnRules: boolean;
  /**
   * The masker for a named field (a result column), or undefined when no column rule selects
   * it (mask its values with `maskText`). Resolve once per result shape, not per value. The
   * protocol resolves what the field belongs to: `table` is that name as rules write it
   * (`schema.table` or `table`), undefined when it could not tell (a computed value).
   */
  columnMasker(table: string | undefined, column: string): ColumnMaskFn | undefined;
  /**
   * Whether some column rule could select a column of this table (a column pattern covers any):
   * a message that repeats a whole record of it cannot be masked field by field.
   */
  coversTable(table: string | undefined): boolean;
  /** Runs the detectors over free text: values without a column rule, text streams, messages. */
  maskText(value: string): string;
}

/** Column maskers are memoised per (table, column); the cache is dropped when it grows past this. */
const MEMO_LIMIT = 4096;

/** Detector entries of several rules; a detector named twice keeps the stronger strategy. */
function entriesOf(rules: ReadonlyArray<CompiledRule>): DetectorEntry[] {
  const byName = new Map<string, DetectorEntry>();
  for (const rule of rules) {
    for (const detector of rule.detectors) {
      const seen = byName.get(detector.name);
      const strategy = seen ? stronger(seen.strategy, rule.strategy) : rule.strategy;
      byName.set(detector.name, { detector, strategy });
    }
  }
  return [...byName.values()];
}

export class RuleSessionMasker implements SessionMasker {
  readonly active: boolean;
  readonly hasColumnRules: boolean;
  readonly #globalRules: ReadonlyArray<CompiledRule>;
  readonly #columnRules: ReadonlyArray<CompiledRule>;
  readonly #text: TextMasker;
  readonly #key: KeyedHasher | undefined;
  readonly #memo = new Map<string, ColumnMaskFn | undefined>();

  constructor(rules: ReadonlyArray<CompiledRule>, key: KeyedHasher | undefined) {
    this.active = rules.length > 0;
    this.#columnRules = rules.filter(selectsColumns);
    this.#globalRules = rules.filter((rule) => !selectsColumns(rule));
    this.hasColumnRules = this.#columnRules.length > 0;
    this.#key = key;
    this.#text = new TextMasker(entriesOf(this.#globalRules), key);
  }

  columnMasker(table: string | undefined, column: string): ColumnMaskFn | undefined {
    if (!this.hasColumnRules) return undefined;
    const memoKey = `${table ?? ''}\u0000${column}`;
    if (this.#memo.has(memoKey)) return this.#memo.get(memoKey);
    const masker = this.#resolve(table, column);
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
    this.#memo.set(memoKey, masker);
    return masker;
  }

  maskText(value: string): string {
    return this.#text.mask(value);
  }

  coversTable(table: string | undefined): boolean {
    return this.#columnRules.some((rule) => ruleCoversTable(rule, table));
  }

  /** A whole-cell rule wins over detector rules scoped to the column. */
  #resolve(table: string | undefined, column: string): ColumnMaskFn | undefined {
    const matching = this.#columnRules.filter((rule) => ruleMatchesColumn(rule, table, column));
    let whole: Strategy | undefined;
    for (const rule of matching) {
      if (rule.detectors.length === 0)
        whole = whole ? stronger(whole, rule.strategy) : rule.strategy;
    }
    if (whole) {
      const strategy = whole;
      const key = this.#key;
      return (value) => maskCell(strategy, value, key);
    }
    if (matching.length === 0) return undefined;
    const scoped = new TextMasker(entriesOf([...this.#globalRules, ...matching]), this.#key);
    return (value) => scoped.mask(value);
  }
}
