/**
 * The SSH connector as the gateway registers it (`src/connectors/registry.ts`): its config
 * (`target`, rule conditions), its request classes, classification of exec requests for the
 * policy tester, its refusals, replay, and the listener.
 */
import type { z } from 'zod';
import type { Command } from '../../core/command.js';
import type { ConditionSpec, ConnectorModule } from '../../core/connector-module.js';
import { compileGlobs } from '../../policy/glob.js';
import {
  classCondition,
  flagCondition,
  stringListSchema,
  targetGlobCondition,
} from '../../policy/index.js';
import { SSH_REQUEST_CLASSES } from './classes.js';
import { compileCommandPattern } from './classify/command-pattern.js';
import type { Invocation } from './classify/shell-classify.js';
import { COMMANDS_ATTRIBUTE, execCommand, PATH_ATTRIBUTE } from './command.js';
import { renderSshError } from './errors.js';
import { replaySshCommand } from './replay.js';
import { createSshConnector } from './ssh-connector.js';
import { type SshTargetConfig, sshTargetSchema } from './target/config.js';

/** The invocations an exec command carries (`attributes.commands`); [] for other requests. */
export function invocationsOf(command: Command): Invocation[] {
  const raw = command.attributes?.[COMMANDS_ATTRIBUTE];
  if (typeof raw !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as Invocation[]) : [];
  } catch {
    return [];
  }
}

/**
 * `command: ["rm *", "systemctl stop *"]`: holds when any program the exec request runs matches
 * any pattern (`classify/command-pattern.ts`). Unclassifiable requests meet it (the evaluator).
 */
const commandCondition: ConditionSpec<string[]> = {
  schema: stringListSchema,
  kind: 'content',
  compile(patterns) {
    const matchers = patterns.map(compileCommandPattern);
    return {
      test: (command) => invocationsOf(command).some((inv) => matchers.some((m) => m(inv))),
      why: () => `runs nothing matching [${patterns.join(', ')}]`,
    };
  },
  issues: (patterns) =>
    patterns.flatMap((pattern, index) =>
      pattern.trim() === '' ? [{ path: [index], message: 'an empty command pattern' }] : [],
    ),
  describe(patterns, command) {
    const matchers = patterns.map(compileCommandPattern);
    const hit = invocationsOf(command).find((inv) => matchers.some((m) => m(inv)));
    return hit ? { what: `\`${hit.map((w) => w ?? '…').join(' ')}\`` } : undefined;
  },
};

/** `path: ["/etc/*"]`: a glob over the path a legacy scp request names. */
const pathCondition: ConditionSpec<string[]> = {
  schema: stringListSchema,
  kind: 'content',
  compile(patterns) {
    const match = compileGlobs(patterns);
    return {
      test: (command) => {
        const path = command.attributes?.[PATH_ATTRIBUTE];
        return typeof path === 'string' && match(path);
      },
      why: (command) =>
        `path is ${String(command.attributes?.[PATH_ATTRIBUTE] ?? 'none')}, not [${patterns.join(', ')}]`,
    };
  },
};

export const sshModule: ConnectorModule<SshTargetConfig> = {
  type: 'ssh',
  targetSchema: sshTargetSchema as z.ZodType<SshTargetConfig>,
  conditions: {
    command: commandCondition,
    shell: flagCondition('shell'),
    request: classCondition(SSH_REQUEST_CLASSES, 'request class'),
    path: pathCondition,
    login: targetGlobCondition('login'),
    host: targetGlobCondition('host'),
  },
  scope: (target): Record<string, string> => ({
    host: target.host,
    ...(target.logins[0] !== undefined && { login: target.logins[0] }),
  }),
  commandClasses: SSH_REQUEST_CLASSES,
  describeAttribute(key, value) {
    if (key === COMMANDS_ATTRIBUTE) return 'the programs the request runs, wrappers looked through';
    if (key === PATH_ATTRIBUTE) return 'the path legacy scp names';
    if (key === 'unclassifiable') return `why it cannot be classified: ${String(value)}`;
    return undefined;
  },
  classify: async (text) => execCommand(text),
  renderError: renderSshError,
  replay: replaySshCommand,
  create: (deps) => createSshConnector(deps),
};
