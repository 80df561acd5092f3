/*
 * The policy evaluator: connector rules → one decision per command.
 *
 * - A rule matches when every condition in its `when` holds (an empty `when` always matches).
 * - The most restrictive matching rule wins: deny > review > allow; among equals the first in
 *   file order. No match → the connector's `default`.
 * - Identity (`groups`, `groups_not`, `subjects`, `agent`) and `time` are evaluated here; every
 *   other condition comes from the connector type's module (`ConnectorModule.conditions`). A
 *   key the module does not define never holds (the config schema rejects it already).
 * - Unclassifiable commands (text the connector's parser could not fully understand) are
 *   treated as every class at once: every condition on what the command does (a module's
 *   `content` conditions) holds, while
 *   identity, time and known target conditions are evaluated as usual. So the strictest rule
 *   that could apply to this identity, here and now, decides — "the most restrictive class the
 *   connector allows". When no rule can apply, the command gets the connector default: with no
 *   rule restricting this identity, the same effect written plainly would get that default too.
 * - A condition that cannot be evaluated (a bad time zone) fails closed: it holds for deny and
 *   review rules and does not for allow rules.
 */
import type { Action, ConnectorConfig, RuleConfig } from '../config/schema.js';
import type { ConnectorModule } from '../core/connector-module.js';
import type { Decision, DecisionContext, PolicyDecider } from '../core/decision.js';
import {
  type Check,
  type ConditionInput,
  type ConditionSpecs,
  compileConditions,
} from './conditions.js';
import { defaultReason, ruleReason } from './reason.js';

/** How one rule fared against a command, for the policy tester. */
export interface RuleEvaluation {
  rule: string;
  action: Action;
  matched: boolean;
  /** Why each unmet condition did not hold; empty when the rule matched. */
  unmet: string[];
}

export interface PolicyExplanation {
  decision: Decision;
  /** Every matching rule in file order; the decision came from the most restrictive. */
  matched: { rule: string; action: Action }[];
  evaluated: RuleEvaluation[];
}

/** A PolicyDecider that can also say why. */
export interface Policy extends PolicyDecider {
  explain(context: DecisionContext): PolicyExplanation;
}

interface CompiledRule {
  readonly rule: RuleConfig;
  readonly checks: readonly Check[];
}

const SEVERITY: Record<Action, number> = { allow: 0, review: 1, deny: 2 };

/** What the evaluator needs from a connector module: its type and its rule conditions. */
export type PolicyModule = Pick<ConnectorModule, 'type' | 'conditions'>;

/**
 * Creates the evaluator for the connector modules of this build (`src/connectors/registry.ts`).
 * Rules are compiled once per connector config object.
 */
export function createPolicy(modules: ReadonlyArray<PolicyModule>): Policy {
  const conditionsByType = new Map<string, ConditionSpecs>(
    modules.map((m) => [m.type, m.conditions]),
  );
  const specsOf = (type: string): ConditionSpecs => conditionsByType.get(type) ?? {};
  const compiled = new WeakMap<ConnectorConfig, readonly CompiledRule[]>();
  const rulesOf = (connector: ConnectorConfig): readonly CompiledRule[] => {
    let rules = compiled.get(connector);
    if (!rules) {
      const specs = specsOf(connector.type);
      rules = connector.rules.map((rule) => ({
        rule,
        checks: compileConditions(rule, specs, connector.type),
      }));
      compiled.set(connector, rules);
    }
    return rules;
  };

  return {
    decide(context) {
      let winner: RuleConfig | undefined;
      for (const { rule, checks } of rulesOf(context.connector)) {
        if (winner && SEVERITY[rule.action] <= SEVERITY[winner.action]) continue;
        if (checks.every((c) => holds(c, context, rule.action))) winner = rule;
        if (winner?.action === 'deny') break;
      }
      return decisionFor(winner, context, specsOf(context.connector.type));
    },

    explain(context) {
      const evaluated: RuleEvaluation[] = [];
      let winner: RuleConfig | undefined;
      for (const { rule, checks } of rulesOf(context.connector)) {
        const unmet = checks
          .filter((c) => !holds(c, context, rule.action))
          .map((c) => c.explain(context));
        evaluated.push({
          rule: rule.name,
          action: rule.action,
          matched: unmet.length === 0,
          unmet,
        });
        if (unmet.length === 0 && (!winner || SEVERITY[rule.action] > SEVERITY[winner.action])) {
          winner = rule;
        }
      }
      return {
        decision: decisionFor(winner, context, specsOf(context.connector.type)),
        matched: evaluated.filter((e) => e.matched).map(({ rule, action }) => ({ rule, action })),
        evaluated,
      };
    },
  };
}

function holds(check: Check, input: ConditionInput, action: Action): boolean {
  try {
    return check.holds(input);
  } catch {
    return action !== 'allow'; // fail closed
  }
}

function decisionFor(
  rule: RuleConfig | undefined,
  context: DecisionContext,
  specs: ConditionSpecs,
): Decision {
  if (!rule) {
    return {
      action: context.connector.default,
      reason: defaultReason(context.connector, context.command),
    };
  }
  return {
    action: rule.action,
    rule: rule.name,
    reason: ruleReason(rule, context.command, specs),
    ...(rule.action === 'review' && rule.review && { review: rule.review }),
  };
}
