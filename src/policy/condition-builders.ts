/*
 * Small builders for the rule conditions a connector module contributes (its
 * `ConnectorModule.conditions`): class membership, a glob over a target-scope field, a boolean
 * flag class, and a glob over the command text. A module names its keys and wording; the
 * evaluator (conditions.ts) adds the key to every explanation.
 */
import { z } from 'zod';
import type { Command } from '../core/command.js';
import type { ConditionSpec } from '../core/connector-module.js';
import { compileGlobs } from './glob.js';
import { classLabel } from './reason.js';

/** One name or a list of names; always a list once validated. */
export const stringListSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]));

/**
 * Holds when the command carries any of the listed classes. `classes` are the module's
 * `commandClasses`: a name outside them is reported by `issues` (a typo would leave the rule
 * silently dead). A matching rule's reason names the classes it saw (`DROP TABLE`).
 */
export function classCondition(
  classes: Readonly<Record<string, string>>,
  noun = 'class',
): ConditionSpec<string[]> {
  return {
    schema: stringListSchema,
    kind: 'content',
    compile(wanted) {
      const set = new Set(wanted);
      return {
        test: (command) => command.classes.some((c) => set.has(c)),
        why: (command) =>
          `none of [${wanted.join(', ')}] in the command (${command.classes.join(', ') || 'none'})`,
      };
    },
    issues: (wanted) =>
      wanted.flatMap((name, index) =>
        Object.hasOwn(classes, name)
          ? []
          : [{ path: [index], message: `unknown ${noun} "${name}"` }],
      ),
    describe(wanted, command) {
      const seen = command.classes.filter((c) => wanted.includes(c));
      return seen.length > 0 ? { what: seen.map(classLabel).join(', ') } : undefined;
    },
  };
}

/**
 * A glob (`prod-*`) over one field of `command.target`. As a `scope` condition (where the
 * command acts), an unclassifiable command whose field is unknown meets it — it could be
 * acting anywhere; as a `content` condition a command without the field never does.
 */
export function targetGlobCondition(
  field: string,
  kind: 'scope' | 'content' = 'scope',
): ConditionSpec<string[]> {
  return {
    schema: stringListSchema,
    kind,
    compile(patterns) {
      const match = compileGlobs(patterns);
      return {
        test(command) {
          const actual = command.target?.[field];
          if (actual === undefined) return kind === 'scope' && command.unclassifiable === true;
          return match(actual);
        },
        why: (command) =>
          `${field} is ${command.target?.[field] ?? 'unknown'}, not [${patterns.join(', ')}]`,
      };
    },
  };
}

/** `true` holds when the command carries class `name`, `false` when it does not. */
export function flagCondition(name: string): ConditionSpec<boolean> {
  return {
    schema: z.boolean(),
    kind: 'content',
    compile(wanted) {
      const has = (command: Command) => command.classes.includes(name);
      return {
        test: (command) => has(command) === wanted,
        why: (command) => `command is ${has(command) ? '' : 'not '}${name}`,
      };
    },
  };
}

/** A glob over the whole command text (`rm *`, `sudo *`). */
export function textGlobCondition(): ConditionSpec<string[]> {
  return {
    schema: stringListSchema,
    kind: 'content',
    compile(patterns) {
      const match = compileGlobs(patterns);
      return {
        test: (command) => match(command.text),
        why: () => `command text matches none of [${patterns.join(', ')}]`,
      };
    },
  };
}
