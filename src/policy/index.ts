export {
  classCondition,
  flagCondition,
  stringListSchema,
  targetGlobCondition,
  textGlobCondition,
} from './condition-builders.js';
export type { Check, ConditionInput, ConditionSpecs } from './conditions.js';
export {
  createPolicy,
  type Policy,
  type PolicyExplanation,
  type PolicyModule,
  type RuleEvaluation,
} from './policy.js';
export {
  createPolicyTester,
  type PolicyTester,
  type PolicyTestInput,
  type PolicyTestResult,
} from './policy-tester.js';
export { classLabel } from './reason.js';
export { type PolicyIssue, policyIssues } from './validate.js';
