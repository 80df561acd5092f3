import type { RuleConfig } from '../config/schema.js';
import type { Command } from '../core/command.js';
import type { AnyConditionSpec } from '../core/connector-module.js';
import type { Identity } from '../core/identity.js';
import { compileTimeWindow } from './time-window.js';

/** What a condition is tested against. */
export interface ConditionInput {
  identity: Identity;
  command: Command;
  now: number;
}

/** One compiled condition of a rule: `holds` tells whether it is met; `explain` says why not. */
export interface Check {
  readonly key: string;
  holds(input: ConditionInput): boolean;
  explain(input: ConditionInput): string;
}

/** The conditions a connector type contributes beyond identity and time, by key. */
export type ConditionSpecs = Readonly<Record<string, AnyConditionSpec>>;

/**
 * Compiles the conditions of one rule: identity and time here, every other key through the
 * connector module's `ConditionSpec`. A condition that cannot be compiled (a bad time zone)
 * fails closed: it holds for deny/review rules and never holds for allow rules.
 */
export function compileConditions(rule: RuleConfig, specs: ConditionSpecs, type: string): Check[] {
  const checks: Check[] = [];
  for (const [key, value] of Object.entries(rule.when)) {
    if (value === undefined) continue;
    try {
      checks.push(compileCondition(key, value, specs, type));
    } catch (err) {
      const holds = rule.action !== 'allow';
      const why = err instanceof Error ? err.message : String(err);
      checks.push({
        key,
        holds: () => holds,
        explain: () =>
          `${key}: cannot be evaluated (${why}); treated as ${holds ? 'met' : 'unmet'}`,
      });
    }
  }
  return checks;
}

function compileCondition(key: string, value: unknown, specs: ConditionSpecs, type: string): Check {
  switch (key) {
    case 'groups': {
      const groups = new Set(value as string[]);
      return check(
        key,
        ({ identity }) => identity.groups.some((g) => groups.has(g)),
        (i) => `${i.identity.subject} is in none of [${[...groups].join(', ')}]`,
      );
    }
    case 'groups_not': {
      const groups = new Set(value as string[]);
      return check(
        key,
        ({ identity }) => !identity.groups.some((g) => groups.has(g)),
        (i) =>
          `${i.identity.subject} is in ${i.identity.groups.filter((g) => groups.has(g)).join(', ')}`,
      );
    }
    case 'subjects': {
      const subjects = new Set(value as string[]);
      return check(
        key,
        ({ identity }) => subjects.has(identity.subject),
        (i) => `${i.identity.subject} is not listed`,
      );
    }
    case 'agent':
      return check(
        key,
        ({ identity }) => identity.agent === value,
        (i) => (i.identity.agent ? 'identity is an agent' : 'identity is not an agent'),
      );
    case 'time': {
      const windows = (Array.isArray(value) ? value : [value]).map(compileTimeWindow);
      return check(
        key,
        ({ now }) => windows.some((inWindow) => inWindow(now)),
        (i) => `${new Date(i.now).toISOString()} is outside the window`,
      );
    }
    default: {
      const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
      if (!spec) return notApplicable(key, type);
      const compiled = spec.compile(value as never);
      // An unclassifiable command meets every condition on what it does.
      const holds =
        spec.kind === 'content'
          ? ({ command }: ConditionInput) =>
              command.unclassifiable === true || compiled.test(command)
          : ({ command }: ConditionInput) => compiled.test(command);
      return check(key, holds, (i) => compiled.why(i.command));
    }
  }
}

/** A key the connector's module does not define (the schema rejects it; this stays closed). */
function notApplicable(key: string, type: string): Check {
  return check(
    key,
    () => false,
    () => `${key} does not apply to ${type} connectors`,
  );
}

function check(
  key: string,
  holds: (input: ConditionInput) => boolean,
  why: (input: ConditionInput) => string,
): Check {
  return { key, holds, explain: (input) => `${key}: ${why(input)}` };
}
