import type { StatementFacts } from './facts.js';

/** A node's fields as libpg-query returns them: `{ SelectStmt: { targetList: […], … } }`. */
export type AstObject = Record<string, unknown>;

/** What to walk after a handler ran: every field, none, or the named fields. */
export type Descend = boolean | readonly string[];

export interface WalkContext {
  /** Walks `node` into `facts` with the same handlers (used for nested statements). */
  walk(node: unknown, facts: StatementFacts): void;
  /** Original text of the top-level statement being classified (for routine bodies). */
  statementText(): string;
  /** Classifies SQL found inside a routine body; undefined when it cannot be parsed. */
  classifyNested(sql: string): StatementFacts | undefined;
}

/**
 * Adds what a node means. A handler that looks at a constant's value or kind must call
 * `facts.readConstant()`, or texts differing in that constant would share its result.
 */
export type NodeHandler = (fields: AstObject, facts: StatementFacts, ctx: WalkContext) => Descend;

const STATEMENT_NODE = /^[A-Z][A-Za-z]*Stmt$/;

/**
 * Visits every node under `root` (iteratively, so deeply nested expressions cannot overflow the
 * stack), giving each node type that has a handler the chance to add classes. Statements are
 * found wherever they nest (CTEs, EXPLAIN ANALYZE, CREATE SCHEMA elements, rule actions…).
 * A statement node type without a handler makes the statement unclassifiable: new syntax is
 * refused rather than guessed at.
 */
export function walkAst(
  root: unknown,
  facts: StatementFacts,
  ctx: WalkContext,
  handlers: Readonly<Record<string, NodeHandler>>,
): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object') stack.push(item);
      continue;
    }
    for (const key in value as AstObject) {
      const child = (value as AstObject)[key];
      if (child === null || typeof child !== 'object') continue;
      const handler = Object.hasOwn(handlers, key) ? handlers[key] : undefined;
      if (handler && !Array.isArray(child)) {
        const descend = handler(child as AstObject, facts, ctx);
        if (descend === true) stack.push(child);
        else if (descend !== false)
          for (const field of descend) stack.push((child as AstObject)[field]);
        continue;
      }
      if (STATEMENT_NODE.test(key)) {
        facts.markUnclassifiable();
        continue;
      }
      stack.push(child);
    }
  }
}
