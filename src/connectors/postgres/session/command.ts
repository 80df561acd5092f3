/** Builds the protocol-neutral Command the gate decides on from a SQL text and its classification. */
import type { Command } from '../../../core/command.js';
import { unclassifiableReason } from '../classify/classes.js';
import type { SqlClassification } from '../classify/classifier.js';

const WHERE_ABSENT = Object.freeze({ where: 'absent' });

export function sqlCommand(
  text: string,
  classification: SqlClassification,
  target: Readonly<Record<string, string>>,
  params?: ReadonlyArray<string | null>,
): Command {
  const command: Command = {
    protocol: 'postgres',
    text,
    classes: classification.classes,
    unclassifiable: classification.unclassifiable,
    target,
  };
  const why = unclassifiableReason(classification);
  if (why) command.unclassifiableReason = why;
  // The fact the `where` rule condition tests (postgres-module.ts).
  if (classification.whereAbsent) command.attributes = WHERE_ABSENT;
  if (params && params.length > 0) command.params = params;
  return command;
}

/**
 * Execute of a portal the gateway did not see being bound (e.g. a cursor made by SQL DECLARE,
 * or a statement prepared before the gateway could track it): what runs is unknown, so the
 * command is unclassifiable and policy treats it as the most restrictive class.
 */
export function unknownPortalCommand(
  portal: string,
  target: Readonly<Record<string, string>>,
): Command {
  return {
    protocol: 'postgres',
    text: `-- execute portal "${portal}" (not known to the gateway)`,
    classes: ['unclassifiable'],
    unclassifiable: true,
    unclassifiableReason: 'Execute of a portal the gateway did not see bound (a cursor?)',
    target,
  };
}
