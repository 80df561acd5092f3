import type { ConnectorConfig, RuleConditions, RuleConfig } from '../config/schema.js';
import type { Command } from '../core/command.js';
import type { Identity } from '../core/identity.js';
import { compileGlobs } from './glob.js';
import { compileTimeWindow } from './time-window.js';

/** What a condition is tested against. */
export interface ConditionInput {
  identity: Identity;
  command: Command;
  now: number;
}

/** One compiled condition of a rule: `holds` tells whether it is met; `explain` says why not. */
export interface Check {
  readonly key: keyof RuleConditions;
  holds(input: ConditionInput): boolean;
  explain(input: ConditionInput): string;
}

type ConnectorType = ConnectorConfig['type'];

/**
 * Conditions about what a command does, by connector type. A key missing here for the rule's
 * connector type is not applicable and never holds (`verb` on a Postgres connector).
 */
export const CONTENT_KEYS: Readonly<Record<ConnectorType, ReadonlySet<string>>> = {
  postgres: new Set(['statement', 'where']),
  mysql: new Set(['statement', 'where']),
  redis: new Set(['statement', 'command']),
  kubernetes: new Set(['statement', 'verb', 'resource', 'subresource', 'privileged']),
  ssh: new Set(['statement', 'command', 'shell']),
  http: new Set(['statement', 'command']),
};

/** Conditions read from `command.target`, for any connector type. */
const SCOPE_KEYS = new Set(['database', 'namespace']);

/**
 * Compiles the conditions of one rule. A condition that cannot be compiled (a bad time zone)
 * fails closed: it holds for deny/review rules and never holds for allow rules.
 */
export function compileConditions(rule: RuleConfig, type: ConnectorType): Check[] {
  const checks: Check[] = [];
  for (const [key, value] of Object.entries(rule.when) as [keyof RuleConditions, unknown][]) {
    if (value === undefined) continue;
    try {
      checks.push(compileCondition(key, value, type));
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

function compileCondition(key: keyof RuleConditions, value: unknown, type: ConnectorType): Check {
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
    default:
      if (SCOPE_KEYS.has(key)) return scopeCheck(key, value as string[]);
      if (!CONTENT_KEYS[type].has(key)) return notApplicable(key, type);
      return contentCheck(key, value);
  }
}

function scopeCheck(key: keyof RuleConditions, patterns: string[]): Check {
  const match = compileGlobs(patterns);
  return check(
    key,
    ({ command }) => {
      const actual = command.target?.[key];
      // An unclassifiable command whose scope is unknown could be acting anywhere.
      return actual === undefined ? command.unclassifiable === true : match(actual);
    },
    (i) => `${key} is ${i.command.target?.[key] ?? 'unknown'}, not [${patterns.join(', ')}]`,
  );
}

/** Conditions on what the command does; an unclassifiable command meets all of them. */
function contentCheck(key: keyof RuleConditions, value: unknown): Check {
  const { test, why } = contentTest(key, value);
  return check(
    key,
    (input) => input.command.unclassifiable === true || test(input.command),
    (i) => why(i.command),
  );
}

interface ContentTest {
  test(command: Command): boolean;
  why(command: Command): string;
}

function contentTest(key: keyof RuleConditions, value: unknown): ContentTest {
  const classes = (command: Command) => command.classes.join(', ') || 'none';
  switch (key) {
    case 'statement': {
      const wanted = new Set(value as string[]);
      return {
        test: (command) => command.classes.some((c) => wanted.has(c)),
        why: (command) =>
          `none of [${[...wanted].join(', ')}] in the command (${classes(command)})`,
      };
    }
    case 'where':
      return value === 'absent'
        ? {
            test: (command) => command.whereAbsent === true,
            why: () => 'no DELETE/UPDATE without WHERE',
          }
        : {
            test: (command) =>
              command.whereAbsent !== true &&
              (command.classes.includes('delete') || command.classes.includes('update')),
            why: () => 'no DELETE/UPDATE, or one without WHERE',
          };
    case 'privileged':
    case 'shell':
      return {
        test: (command) => command.classes.includes(key) === value,
        why: (command) => `command is ${command.classes.includes(key) ? '' : 'not '}${key}`,
      };
    case 'command': {
      const patterns = value as string[];
      const match = compileGlobs(patterns);
      return {
        test: (command) => match(command.text),
        why: () => `command text matches none of [${patterns.join(', ')}]`,
      };
    }
    default: {
      const patterns = value as string[];
      const match = compileGlobs(patterns);
      return {
        test: (command) => {
          const actual = command.target?.[key];
          return actual !== undefined && match(actual);
        },
        why: (command) =>
          `${key} is ${command.target?.[key] ?? 'unknown'}, not [${patterns.join(', ')}]`,
      };
    }
  }
}

function notApplicable(key: keyof RuleConditions, type: ConnectorType): Check {
  return check(
    key,
    () => false,
    () => `${key} does not apply to ${type} connectors`,
  );
}

function check(
  key: keyof RuleConditions,
  holds: (input: ConditionInput) => boolean,
  why: (input: ConditionInput) => string,
): Check {
  return { key, holds, explain: (input) => `${key}: ${why(input)}` };
}
