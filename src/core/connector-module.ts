import type { z } from 'zod';
import type { TargetFile } from '../config/schema.js';
import type { Command } from './command.js';
import type { ConnectorFactory } from './connector.js';
import type { GatehouseError } from './errors.js';

/**
 * One rule condition a protocol contributes (e.g. a class list, a scope glob, a flag): its
 * config schema and how a configured value tests a classified command. The policy evaluator
 * handles identity, time and unclassifiable commands itself and asks these for the rest; an
 * unclassifiable command meets every content condition (docs/policy.md). `src/policy`
 * has builders for the common shapes (`classCondition`, `targetGlobCondition`, …).
 */
export interface ConditionSpec<Value = unknown> {
  /** Validates the value under `when.<key>`. */
  readonly schema: z.ZodType<Value>;
  /**
   * `content` conditions test what the command does: the evaluator lets an unclassifiable
   * command meet them without asking `test`. `scope` conditions test where it acts, read from
   * `command.target`; `test` decides alone, and should hold for an unclassifiable command
   * whose scope is unknown (it could be acting anywhere).
   */
  readonly kind: 'content' | 'scope';
  compile(value: Value): CompiledCondition;
  /**
   * Problems the schema cannot see (an unknown class name), one message each, with its key path
   * below the condition (`[2]` for the third item of a list).
   */
  issues?(value: Value): Array<{ path: Array<string | number>; message: string }>;
  /**
   * How a matching rule's reason describes the command: `what` names it (the classes it saw,
   * in place of "the command"), `qualifier` follows the name. The reason reads
   * `<what> <qualifier…> is denied`.
   */
  describe?(value: Value, command: Command): ConditionWords | undefined;
}

/** Words a condition adds to a rule's reason (`ConditionSpec.describe`). */
export interface ConditionWords {
  what?: string;
  qualifier?: string;
}

/** A condition of any value type, as a module lists them (each key has its own `Value`). */
// biome-ignore lint/suspicious/noExplicitAny: the value type differs per key; each spec's schema produces what its compile takes
export type AnyConditionSpec = ConditionSpec<any>;

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
  /** The `type:` value in config that selects this module (one per protocol). */
  readonly type: string;
  /** Validates the connector's `target:` section (shared code sees the result as unknown). */
  readonly targetSchema: z.ZodType<Target>;
  /**
   * Files the validated target names (a CA bundle…): config resolves them against the config
   * file's directory and checks they are readable, like every other file it names.
   */
  targetFiles?(target: Target): TargetFile[];
  /**
   * Rule conditions beyond identity (`groups`, `groups_not`, `subjects`, `agent`) and `time`,
   * by their key under `when:`. Config validates each rule's `when` with their schemas (strict
   * per type); the policy evaluator compiles them.
   */
  readonly conditions: Readonly<Record<string, AnyConditionSpec>>;
  /**
   * The scope (`Command.target`) a session under this target config acts in unless the client
   * picks another, e.g. the configured database; the policy tester starts from it.
   */
  scope?(target: Target): Record<string, string>;
  /** The command classes its classifier emits, with what each means (docs, the policy tester). */
  readonly commandClasses: Readonly<Record<string, string>>;
  /**
   * What an attribute its classifier sets (`Command.attributes`) means, for people (the policy
   * tester prints it next to the value); undefined for one it does not describe.
   */
  describeAttribute?(key: string, value: string | boolean): string | undefined;
  /**
   * Classifies a command's text without running it (the policy tester): the Command the
   * connector would build. Its `target` holds only what the text itself names (a Kubernetes
   * request line names its namespace; a database query names none): the tester lays it over the
   * connector's `scope` and under a scope it is given.
   */
  classify(text: string): Promise<Command>;
  /**
   * Flags this protocol recorded at the top level of command records before `attributes`
   * existed, and the attributes a `true` flag reads as, so old records keep their meaning.
   */
  readonly legacyAttributes?: Readonly<Record<string, Readonly<Record<string, string | boolean>>>>;
  /** A GatehouseError as the protocol's own error on the wire (e.g. an ErrorResponse frame). */
  renderError(error: GatehouseError): Uint8Array;
  /** One recorded command as the protocol's own client showed it, for `sessions replay`. */
  replay(command: ReplayCommand): string[];
  /** Creates the listener. */
  readonly create: ConnectorFactory;
}
