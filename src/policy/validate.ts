import type { ConnectorConfig, RuleConditions } from '../config/schema.js';
import { CONTENT_KEYS } from './conditions.js';
import { isSqlStatementClass } from './statement-classes.js';
import { compileTimeWindow, type TimeWindowConfig } from './time-window.js';

/** A rule problem, with its key path inside the connector (`rules[2].when.time`). */
export interface PolicyIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Problems the schema cannot see: conditions that never apply to the connector's protocol,
 * statement classes the classifier never emits (a typo would make a rule silently dead), and
 * time windows with a bad time or zone. Meant for config validation; the evaluator itself
 * fails closed on the same problems.
 */
export function policyIssues(connector: ConnectorConfig): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  connector.rules.forEach((rule, index) => {
    const at = (key: string, ...rest: (string | number)[]) => [
      'rules',
      index,
      'when',
      key,
      ...rest,
    ];
    for (const key of Object.keys(rule.when) as (keyof RuleConditions)[]) {
      if (rule.when[key] === undefined || !isContentKey(key)) continue;
      if (!CONTENT_KEYS[connector.type].has(key)) {
        issues.push({
          path: at(key),
          message: `${key} does not apply to ${connector.type} connectors`,
        });
      }
    }
    if (connector.type === 'postgres') {
      (rule.when.statement ?? []).forEach((name, i) => {
        if (!isSqlStatementClass(name)) {
          issues.push({ path: at('statement', i), message: `unknown statement class "${name}"` });
        }
      });
    }
    const time = rule.when.time;
    const windows: TimeWindowConfig[] =
      time === undefined ? [] : Array.isArray(time) ? time : [time];
    windows.forEach((window, i) => {
      try {
        compileTimeWindow(window);
      } catch (err) {
        const path = Array.isArray(time) ? at('time', i) : at('time');
        issues.push({ path, message: (err as Error).message });
      }
    });
  });
  return issues;
}

const NOT_CONTENT = new Set([
  'groups',
  'groups_not',
  'subjects',
  'agent',
  'time',
  'database',
  'namespace',
]);

function isContentKey(key: string): boolean {
  return !NOT_CONTENT.has(key);
}
