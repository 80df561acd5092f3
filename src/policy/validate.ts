import type { ConnectorConfig } from '../config/schema.js';
import type { ConditionSpecs } from './conditions.js';
import { compileTimeWindow, type TimeWindowConfig } from './time-window.js';

/** A rule problem, with its key path inside the connector (`rules[2].when.time`). */
export interface PolicyIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Problems the schema cannot see: what the connector module's conditions report (`issues`,
 * e.g. a class name its classifier never emits — a typo would make a rule silently dead) and
 * time windows with a bad time or zone. Meant for config validation; the evaluator itself
 * fails closed on the same problems.
 */
export function policyIssues(connector: ConnectorConfig, specs: ConditionSpecs): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  connector.rules.forEach((rule, index) => {
    const at = (key: string, ...rest: (string | number)[]) => [
      'rules',
      index,
      'when',
      key,
      ...rest,
    ];
    for (const [key, value] of Object.entries(rule.when)) {
      if (value === undefined) continue;
      const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
      for (const issue of spec?.issues?.(value as never) ?? []) {
        issues.push({ path: at(key, ...issue.path), message: issue.message });
      }
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
