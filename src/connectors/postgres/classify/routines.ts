import { parsePlPgSQLSync } from 'libpg-query';
import type { StatementFacts } from './facts.js';
import type { AstObject, WalkContext } from './walk.js';

/*
 * DO blocks and function definitions are unclassifiable whatever they contain: their effect is
 * code. The handlers mark them so before calling in here. What follows only adds what can be
 * seen in the body (the statements it runs, dynamic EXECUTE) so a reviewer sees "do, drop_table,
 * execute_dynamic" rather than a bare "do". Nothing here can make a routine look safer.
 */

/** Adds what a `DO` block's body shows. */
export function inspectDoBlock(fields: AstObject, facts: StatementFacts, ctx: WalkContext): void {
  const options = defElems(fields['args']);
  if ((stringArg(options.get('language')) ?? 'plpgsql').toLowerCase() !== 'plpgsql') return;
  inspectPlpgsql(ctx.statementText(), facts, ctx);
}

/** Adds what a `CREATE FUNCTION` / `CREATE PROCEDURE` body shows. */
export function inspectFunctionDefinition(
  fields: AstObject,
  facts: StatementFacts,
  ctx: WalkContext,
): void {
  const options = defElems(fields['options']);
  const language = (stringArg(options.get('language')) ?? 'sql').toLowerCase();
  if (language === 'plpgsql') {
    inspectPlpgsql(ctx.statementText(), facts, ctx);
  } else if (language === 'sql') {
    const body = listArg(options.get('as'))?.[0];
    const nested = body === undefined ? undefined : ctx.classifyNested(body);
    if (nested) facts.absorb(nested);
  }
}

function inspectPlpgsql(source: string, facts: StatementFacts, ctx: WalkContext): void {
  let parsed: unknown;
  try {
    parsed = parsePlPgSQLSync(source);
  } catch {
    return; // already unclassifiable; the body just cannot add detail
  }
  const stack: unknown[] = [parsed];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    for (const [key, child] of Object.entries(value as AstObject)) {
      if (key.startsWith('PLpgSQL_stmt_dyn') || key === 'dynquery') facts.add('execute_dynamic');
      if (key === 'PLpgSQL_expr') inspectExpression(child as AstObject, facts, ctx);
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
}

/** parseMode 0 is a whole SQL statement; 2 is an expression (IF conditions, PERFORM, …). */
function inspectExpression(expr: AstObject, facts: StatementFacts, ctx: WalkContext): void {
  const query = expr['query'];
  if (typeof query !== 'string') return;
  const mode = expr['parseMode'] ?? 0;
  const sql = mode === 0 ? query : mode === 2 ? `SELECT ${query}` : undefined;
  const nested = sql === undefined ? undefined : ctx.classifyNested(sql);
  if (nested) facts.absorb(nested);
}

function defElems(list: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  if (!Array.isArray(list)) return map;
  for (const item of list) {
    const def = (item as { DefElem?: AstObject }).DefElem;
    if (def && typeof def['defname'] === 'string') map.set(def['defname'], def['arg']);
  }
  return map;
}

function stringArg(arg: unknown): string | undefined {
  return (arg as { String?: { sval?: string } } | undefined)?.String?.sval;
}

function listArg(arg: unknown): string[] | undefined {
  const items = (arg as { List?: { items?: unknown[] } } | undefined)?.List?.items;
  return items?.map((item) => stringArg(item) ?? '');
}
