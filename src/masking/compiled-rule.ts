import type { MaskingRuleConfig } from '../config/schema.js';
import { type ColumnSpec, parseColumnSpec, specCoversTable, specMatches } from './column-spec.js';
import { unsafePatternReason } from './regex-safety.js';
import { parseStrategy } from './strategies.js';
import type { Detector, Strategy } from './types.js';

/** One masking rule, validated and ready to match. */
export interface CompiledRule {
  /** `masking[2] (detectors email, jwt; keep_last_4)`: how exemptions are recorded. */
  readonly label: string;
  readonly strategy: Strategy;
  readonly columns: ReadonlyArray<ColumnSpec>;
  readonly pattern: RegExp | undefined;
  /** With columns/pattern: detectors scoped to those columns; without: detectors everywhere. */
  readonly detectors: ReadonlyArray<Detector>;
  readonly exemptGroups: ReadonlySet<string>;
}

/** A config problem, by key path relative to the masking settings. */
export interface MaskingIssue {
  readonly path: string;
  readonly message: string;
}

export function selectsColumns(rule: CompiledRule): boolean {
  return rule.columns.length > 0 || rule.pattern !== undefined;
}

/** Whether the rule's columns or pattern select this column (the pattern sees the bare name). */
export function ruleMatchesColumn(
  rule: CompiledRule,
  table: string | undefined,
  column: string,
): boolean {
  return (
    rule.columns.some((spec) => specMatches(spec, table, column)) ||
    (rule.pattern?.test(column) ?? false)
  );
}

/** Whether the rule could select some column of this table. */
export function ruleCoversTable(rule: CompiledRule, table: string | undefined): boolean {
  return rule.pattern !== undefined || rule.columns.some((spec) => specCoversTable(spec, table));
}

function describe(rule: MaskingRuleConfig, index: number): string {
  const parts: string[] = [];
  if (rule.columns?.length) parts.push(`columns ${rule.columns.join(', ')}`);
  if (rule.column_pattern !== undefined) parts.push(`column_pattern /${rule.column_pattern}/`);
  if (rule.detectors?.length) parts.push(`detectors ${rule.detectors.join(', ')}`);
  parts.push(rule.strategy);
  return `masking[${index}] (${parts.join('; ')})`;
}

/** Validates one rule; pushes what is wrong to `issues` and returns undefined if anything is. */
export function compileRule(
  rule: MaskingRuleConfig,
  index: number,
  detectors: ReadonlyMap<string, Detector>,
  hasHashKey: boolean,
  issues: MaskingIssue[],
): CompiledRule | undefined {
  const at = `masking[${index}]`;
  const before = issues.length;
  const strategy = parseStrategy(rule.strategy);
  if (!strategy) {
    issues.push({
      path: `${at}.strategy`,
      message: `unknown strategy "${rule.strategy}" (redact, hash, null, keep_last_N)`,
    });
  } else if (strategy.kind === 'hash' && !hasHashKey) {
    issues.push({ path: `${at}.strategy`, message: 'strategy hash needs masking.hash_key' });
  }
  if (!rule.columns?.length && rule.column_pattern === undefined && !rule.detectors?.length) {
    issues.push({ path: at, message: 'a masking rule needs columns, column_pattern or detectors' });
  }
  const columns: ColumnSpec[] = [];
  rule.columns?.forEach((text, i) => {
    const spec = parseColumnSpec(text);
    if (spec) columns.push(spec);
    else
      issues.push({
        path: `${at}.columns[${i}]`,
        message: `"${text}" is not [schema.][table.]column`,
      });
  });
  let pattern: RegExp | undefined;
  if (rule.column_pattern !== undefined) {
    const unsafe = unsafePatternReason(rule.column_pattern);
    try {
      pattern = new RegExp(rule.column_pattern, 'i');
    } catch (err) {
      issues.push({
        path: `${at}.column_pattern`,
        message: `invalid regular expression: ${(err as Error).message}`,
      });
    }
    if (unsafe)
      issues.push({ path: `${at}.column_pattern`, message: `pattern refused: ${unsafe}` });
  }
  const found: Detector[] = [];
  rule.detectors?.forEach((name, i) => {
    const detector = detectors.get(name);
    if (detector) found.push(detector);
    else
      issues.push({
        path: `${at}.detectors[${i}]`,
        message: `unknown detector "${name}" (known: ${[...detectors.keys()].join(', ')})`,
      });
  });
  if (issues.length > before || !strategy) return undefined;
  return {
    label: describe(rule, index),
    strategy,
    columns,
    pattern,
    detectors: found,
    exemptGroups: new Set(rule.exempt_groups ?? []),
  };
}
