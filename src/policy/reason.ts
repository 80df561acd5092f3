import type { Action, ConnectorConfig, RuleConfig } from '../config/schema.js';
import type { Command } from '../core/command.js';

/** `drop_table` → `DROP TABLE`, the way a person names the statement. */
export function classLabel(name: string): string {
  return name.replace(/_/g, ' ').toUpperCase();
}

/** What the rule saw in the command, e.g. `DROP TABLE` or `DELETE without WHERE`. */
function describeMatch(rule: RuleConfig, command: Command): string {
  if (command.unclassifiable) return 'a command that cannot be classified';
  const wanted = rule.when.statement;
  const classes = wanted ? command.classes.filter((c) => wanted.includes(c)) : [];
  let what = classes.length > 0 ? classes.map(classLabel).join(', ') : 'the command';
  if (rule.when.where === 'absent') what += ' without WHERE';
  if (rule.when.where === 'present') what += ' with WHERE';
  return what;
}

const VERB: Record<Action, string> = {
  allow: 'is allowed',
  deny: 'is denied',
  review: 'requires review',
};

/** The reason shown to the client and recorded, e.g. `rule "x": DROP TABLE requires review by dba`. */
export function ruleReason(rule: RuleConfig, command: Command): string {
  if (rule.reason) return `rule "${rule.name}": ${rule.reason}`;
  let text = `${describeMatch(rule, command)} ${VERB[rule.action]}`;
  const approvers = rule.review?.approvers;
  if (rule.action === 'review' && approvers?.length) text += ` by ${approvers.join(', ')}`;
  return `rule "${rule.name}": ${text}`;
}

export function defaultReason(connector: ConnectorConfig, command: Command): string {
  const what = command.unclassifiable ? 'command cannot be classified and ' : '';
  return `${what}no rule matched; connector "${connector.name}" default is ${connector.default}`;
}
