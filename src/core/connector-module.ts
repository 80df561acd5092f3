import type { z } from 'zod';
import type { Command } from './command.js';
import type { ConnectorFactory } from './connector.js';
import type { GatehouseError } from './errors.js';

/**
 * One rule condition a protocol contributes (`statement`, `where`, `verb`, `command`, …): its
 * config schema and how a configured value tests a classified command. The policy evaluator
 * handles identity, time and unclassifiable commands itself and asks these for the rest; an
 * unclassifiable command meets every content condition (docs/policy.md).
 */
export interface ConditionSpec<Value = unknown> {
  /** Validates the value under `when.<key>`. */
  readonly schema: z.ZodType<Value>;
  /**
   * `content` conditions test what the command does (an unclassifiable command meets them);
   * `scope` conditions test where it acts, read from `command.target` (an unclassifiable command
   * whose scope is unknown meets them).
   */
  readonly kind: 'content' | 'scope';
  compile(value: Value): CompiledCondition;
  /** Problems the schema cannot see (an unknown class name), one message each, with its index. */
  issues?(value: Value): Array<{ path: Array<string | number>; message: string }>;
  /** Words added to a rule's reason when the rule names this condition, e.g. `without WHERE`. */
  describe?(value: Value): string | undefined;
}

/** A configured condition, ready to test commands. */
export interface CompiledCondition {
  test(command: Command): boolean;
  /** Why the command does not meet it, for the policy tester. */
  why(command: Command): string;
}

/**
 * What a recorded command looks like to a protocol's replay: the text, the decision, what ran,
 * and how it ended. Neutral: the audit layer stores it, the module renders it. A stored command
 * (`StoredCommand`) is one.
 */
export interface ReplayCommand {
  readonly text: string;
  readonly decision: {
    readonly action: 'allow' | 'deny' | 'review';
    readonly rule?: string;
    readonly reason: string;
  };
  readonly ticketId?: string;
  /** What reached the target; absent when nothing did (denied, or held and not approved). */
  readonly executedText?: string;
  /** How it ended, with what the client was shown (`result`); absent when nothing ran. */
  readonly outcome?: Readonly<import('./command.js').CommandOutcome>;
}

/**
 * What the client was shown for one recorded command, as lines to join with `\n` (an entry may
 * hold several): the refusal when nothing ran, else the result, status or error and how long it
 * took. The session header, the decision line and the text are the audit layer's.
 */
export type ReplayRenderer = (command: ReplayCommand) => string[];

/**
 * Everything a protocol contributes to the gateway, registered in one place
 * (`src/connectors/registry.ts`). The shared layers know protocols only through this.
 * docs/architecture.md walks one command through it.
 */
export interface ConnectorModule<Target = unknown> {
  /** The `type:` value in config, e.g. `postgres`. */
  readonly type: string;
  /** Validates the connector's `target:` section. */
  readonly targetSchema: z.ZodType<Target>;
  /** Rule conditions beyond identity (`groups`, `subjects`, `agent`) and `time`. */
  readonly conditions: Readonly<Record<string, ConditionSpec<never>>>;
  /** The command classes its classifier emits, with what each means (docs, the policy tester). */
  readonly commandClasses: Readonly<Record<string, string>>;
  /** Which result shape its commands record: rows, a terminal stream, or a request/response. */
  readonly resultShape: 'table' | 'terminal' | 'exchange';
  /** Classifies a command's text without running it (the policy tester). */
  classify(text: string): Promise<Command>;
  /** A GatehouseError as the protocol's own error on the wire (e.g. an ErrorResponse frame). */
  renderError(error: GatehouseError): Uint8Array;
  /** One recorded command as the protocol's own client showed it, for `sessions replay`. */
  replay(command: ReplayCommand): string[];
  /** Creates the listener. */
  readonly create: ConnectorFactory;
}
