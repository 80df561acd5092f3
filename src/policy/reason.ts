import type { Action, ConnectorConfig, RuleConfig } from '../config/schema.js';
import type { Command } from '../core/command.js';
import type { ConditionSpecs } from './conditions.js';

/** `drop_table` → `DROP TABLE`, the way a person names a command class. */
export function classLabel(name: string): string {
  return name.replace(/_/g, ' ').toUpperCase();
}

/**
 * What the rule saw in the command, in the words of the conditions it names (their
 * `describe`): e.g. the classes it matched followed by a qualifier; "the command" otherwise.
 */
function describeMatch(rule: RuleConfig, command: Command, specs: ConditionSpecs): string {
  if (command.unclassifiable) {
    const why = command.unclassifiableReason;
    return `a command that cannot be classified${why ? ` (${why})` : ''}`;
  }
  let what: string | undefined;
  const qualifiers: string[] = [];
  for (const [key, value] of Object.entries(rule.when)) {
    if (value === undefined || !Object.hasOwn(specs, key)) continue;
    const words = specs[key]!.describe?.(value as never, command);
    if (words?.what && what === undefined) what = words.what;
    if (words?.qualifier) qualifiers.push(words.qualifier);
  }
  return [what ?? 'the command', ...qualifiers].join(' ');
}

const VERB: Record<Action, string> = {
  allow: 'is allowed',
  deny: 'is denied',
  review: 'requires review',
};

/** The reason shown to the client and recorded, e.g. `rule "x": DROP TABLE requires review by dba`. */
export function ruleReason(rule: RuleConfig, command: Command, specs: ConditionSpecs): string {
  if (rule.reason) return `rule "${rule.name}": ${rule.reason}`;
  let text = `${describeMatch(rule, command, specs)} ${VERB[rule.action]}`;
  const approvers = rule.review?.approvers;
  if (rule.action === 'review' && approvers?.length) text += ` by ${approvers.join(', ')}`;
  return `rule "${rule.name}": ${text}`;
}

export function defaultReason(connector: ConnectorConfig, command: Command): string {
  const what = command.unclassifiable ? 'command cannot be classified and ' : '';
  return `${what}no rule matched; connector "${connector.name}" default is ${connector.default}`;
}
