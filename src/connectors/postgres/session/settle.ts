/**
 * What an answered message changes once the target's answer is known: statement and portal
 * names (staged when sent, settled here), the session's SQL-level prepared statements, and the
 * finished command's outcome reported to the gate. A message skipped after an error changes
 * nothing but is reported too.
 */
import type { GateSession } from '../../../core/gate.js';
import type { PreparedStatements, SqlClassification } from '../classify/classifier.js';
import type { NameTable } from './names.js';
import type { Pending, Portal, Statement } from './pending.js';

export interface SettleContext {
  gate: GateSession;
  statements: NameTable<Statement>;
  portals: NameTable<Portal>;
  prepared: PreparedStatements;
}

/** Settles what an answered (or skipped) message changed, and reports finished commands. */
export function settle(ctx: SettleContext, item: Pending, ok: boolean, skipped: boolean): void {
  const { statements, portals, prepared, gate } = ctx;
  const applied = ok || (item.kind === 'query' && !skipped);
  if (item.statementOp) {
    statements.settle(item.statementOp, applied);
    const { name, value } = item.statementOp;
    if (applied && item.kind === 'parse' && value) prepared.define(name, forSqlExecute(value));
    if (applied && item.kind === 'close') prepared.delete(name);
  }
  if (item.portalOp) portals.settle(item.portalOp, applied);
  if (item.permit) {
    const result = item.capture?.result();
    gate.complete(item.permit, {
      tag: item.tag,
      rows: item.rows,
      error: item.error,
      ...(result && { result }),
    });
  }
  if (item.classification && !skipped && item.permit) applyPrepared(ctx, item, ok);
  item.answered?.();
}

/** SQL PREPARE / DEALLOCATE, once answered: the statement table follows them. */
function applyPrepared(ctx: SettleContext, item: Pending, ok: boolean): void {
  const { statements, prepared } = ctx;
  const classification = item.classification!;
  if (!classification.prepare && !classification.deallocate) return;
  prepared.apply(classification, ok);
  if (ok && classification.deallocate === 'all') statements.clearCommitted();
  else if (ok)
    for (const name of classification.deallocate ?? []) statements.commit(name, undefined);
  for (const { name } of classification.prepare ?? []) {
    const now = prepared.get(name);
    statements.commit(name, now && { sql: item.sql ?? '', classification: now, sqlPrepared: true });
  }
}

/**
 * What SQL `EXECUTE name` of a Parse'd statement does. A Parse'd text that itself executes a
 * prepared statement is resolved when it runs, which a classification made now cannot follow:
 * it is unclassifiable for SQL EXECUTE (a protocol Execute classifies it afresh each time).
 */
function forSqlExecute(statement: Statement): SqlClassification {
  const classification = statement.classification;
  if (!classification.classes.includes('execute') || classification.unclassifiable) {
    return classification;
  }
  return {
    ...classification,
    classes: [...classification.classes, 'unclassifiable'],
    unclassifiable: true,
  };
}
