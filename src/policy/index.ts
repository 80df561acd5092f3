export type { Check, ConditionInput } from './conditions.js';
export {
  createPolicy,
  type Policy,
  type PolicyExplanation,
  type RuleEvaluation,
} from './policy.js';
export { classLabel } from './reason.js';
export {
  isSqlStatementClass,
  SQL_STATEMENT_CLASSES,
  type SqlStatementClass,
} from './statement-classes.js';
export { type PolicyIssue, policyIssues } from './validate.js';
