import type { z } from 'zod';

/** A schema problem before it is placed in the source: key path, message, key-or-value. */
export interface SchemaProblem {
  path: PropertyKey[];
  message: string;
  /** The problem is the key itself (unknown key), so point at the key, not its value. */
  atKey?: boolean;
}

const ZOD_UNION_DEFAULT = 'Invalid input';

/**
 * Messages for the generic zod issues, worded for someone editing YAML. Never includes the
 * offending value (it may be a secret someone pasted inline), only its type.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'required'
        : `expected ${issue.expected}, got ${typeName(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern ? `must match ${issue.pattern}` : undefined;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      if (issue.origin === 'array' && Number(issue.minimum) === 1) return 'must list at least one';
      return undefined;
    default:
      return undefined;
  }
};

/**
 * Flattens zod issues into one problem per key: each unknown key on its own, and a failed
 * union reported through the alternative the input came closest to (an object with a typo'd
 * key is reported as that typo, not as "invalid input").
 */
export function schemaProblems(
  issues: ReadonlyArray<z.core.$ZodIssue>,
  prefix: PropertyKey[] = [],
): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: [...path, key], message: `unknown key "${key}"`, atKey: true });
      }
    } else if (issue.code === 'invalid_union') {
      problems.push(...unionProblems(issue, path));
    } else {
      problems.push({ path, message: issue.message });
    }
  }
  return problems;
}

function unionProblems(issue: z.core.$ZodIssueInvalidUnion, path: PropertyKey[]): SchemaProblem[] {
  if (issue.message !== ZOD_UNION_DEFAULT || issue.errors.length === 0) {
    return [{ path, message: issue.message }];
  }
  const wrongType = (branch: ReadonlyArray<z.core.$ZodIssue>) =>
    branch.find((i) => i.code === 'invalid_type' && i.path.length === 0);
  const viable = issue.errors.filter((branch) => !wrongType(branch));
  if (viable.length === 0) {
    const roots = issue.errors.map((branch) => wrongType(branch) as z.core.$ZodIssueInvalidType);
    if (roots.every((root) => root.message === 'required')) return [{ path, message: 'required' }];
    const expected = [...new Set(roots.map((root) => root.expected))].join(' or ');
    const got = / got (\w+)$/.exec(roots[0]?.message ?? '')?.[1];
    return [{ path, message: `expected ${expected}${got ? `, got ${got}` : ''}` }];
  }
  const fewest = Math.min(...viable.map((branch) => branch.length));
  const closest = viable.filter((branch) => branch.length === fewest);
  if (closest.length === 1) return schemaProblems(closest[0]!, path);
  const hints = closest.map((branch) => schemaProblems(branch).map(describeProblem).join(', '));
  return [{ path, message: `matches none of the accepted forms (${hints.join('; or ')})` }];
}

function describeProblem(problem: SchemaProblem): string {
  if (problem.atKey || problem.path.length === 0) return problem.message;
  return `${problem.path.map(String).join('.')}: ${problem.message}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}
