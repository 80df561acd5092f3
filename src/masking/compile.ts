import type { MaskingRuleConfig } from '../config/schema.js';
import { type CompiledRule, compileRule, type MaskingIssue } from './compiled-rule.js';
import { BUILTIN_DETECTORS, customDetector } from './detectors/index.js';
import { KeyedHasher } from './keyed-hash.js';
import { RuleSessionMasker, type SessionMasker } from './session-masker.js';
import type { Detector } from './types.js';

/** Settings shared by every connector's rules (`masking` at the top of the config). */
export interface MaskingShared {
  /** Resolved `masking.hash_key`; required by rules with strategy `hash`. */
  hashKey?: string;
  /** `masking.custom`: detector name → regular expression (`source` or `/source/flags`). */
  custom?: Record<string, string>;
}

/** A connector's masking rules, compiled once at start (and on reload). */
export interface MaskingPlan {
  /**
   * The masker for an identity with these groups. Rules exempting one of the groups are left
   * out and listed in `exemptions` (their labels) so the gate can record the exemption.
   */
  forIdentity(groups: ReadonlyArray<string>): { plan: SessionMasker; exemptions: string[] };
}

/** Every problem in the masking settings, by key path; thrown at start. */
export class MaskingConfigError extends TypeError {
  readonly issues: ReadonlyArray<MaskingIssue>;

  constructor(issues: ReadonlyArray<MaskingIssue>) {
    super(`invalid masking config:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'MaskingConfigError';
    this.issues = issues;
  }
}

/** A hash key shorter than this could be brute-forced back to low-entropy values (SSNs). */
const MIN_HASH_KEY_BYTES = 16;

function detectorsWithCustom(
  custom: Record<string, string>,
  issues: MaskingIssue[],
): Map<string, Detector> {
  const detectors = new Map(BUILTIN_DETECTORS);
  for (const [name, pattern] of Object.entries(custom)) {
    const path = `masking.custom.${name}`;
    if (BUILTIN_DETECTORS.has(name)) {
      issues.push({ path, message: `"${name}" is a built-in detector; pick another name` });
      continue;
    }
    try {
      detectors.set(name, customDetector(name, pattern));
    } catch (err) {
      issues.push({ path, message: (err as Error).message });
    }
  }
  return detectors;
}

/**
 * Validates and compiles masking rules. Throws MaskingConfigError listing every problem
 * (unknown detector or strategy, bad column name or pattern, unsafe custom regex, `hash`
 * without a key of at least 16 bytes).
 */
export function compileMasking(
  rules: ReadonlyArray<MaskingRuleConfig>,
  shared: MaskingShared = {},
): MaskingPlan {
  const issues: MaskingIssue[] = [];
  const detectors = detectorsWithCustom(shared.custom ?? {}, issues);
  const key = shared.hashKey === undefined ? undefined : Buffer.from(shared.hashKey, 'utf8');
  if (key !== undefined && key.length < MIN_HASH_KEY_BYTES) {
    issues.push({
      path: 'masking.hash_key',
      message: `must be at least ${MIN_HASH_KEY_BYTES} bytes`,
    });
  }
  const compiled = rules.map((rule, index) =>
    compileRule(rule, index, detectors, key !== undefined, issues),
  );
  if (issues.length > 0) throw new MaskingConfigError(issues);
  return new RulePlan(compiled as CompiledRule[], key && new KeyedHasher(key));
}

class RulePlan implements MaskingPlan {
  readonly #rules: ReadonlyArray<CompiledRule>;
  readonly #key: KeyedHasher | undefined;
  /** Sessions with the same exemptions share one (stateless but for memos) masker. */
  readonly #byExemptions = new Map<string, SessionMasker>();

  constructor(rules: ReadonlyArray<CompiledRule>, key: KeyedHasher | undefined) {
    this.#rules = rules;
    this.#key = key;
  }

  forIdentity(groups: ReadonlyArray<string>): { plan: SessionMasker; exemptions: string[] } {
    const applies: CompiledRule[] = [];
    const exempted: number[] = [];
    this.#rules.forEach((rule, index) => {
      if (groups.some((group) => rule.exemptGroups.has(group))) exempted.push(index);
      else applies.push(rule);
    });
    const cacheKey = exempted.join(',');
    let plan = this.#byExemptions.get(cacheKey);
    if (!plan) {
      plan = new RuleSessionMasker(applies, this.#key);
      this.#byExemptions.set(cacheKey, plan);
    }
    return { plan, exemptions: exempted.map((index) => this.#rules[index]!.label) };
  }
}
