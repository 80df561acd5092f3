import type { Command as Program } from 'commander';
import { formatDuration } from '../../config/duration.js';
import type { Config, ConnectorConfig } from '../../config/schema.js';
import {
  CONNECTOR_MODULES,
  ConfigError,
  formatIssue,
  loadConfig,
} from '../../connectors/registry.js';
import type { Command } from '../../core/command.js';
import type { ConnectorModule } from '../../core/connector-module.js';
import { createPolicyTester, type PolicyExplanation } from '../../policy/index.js';
import { registerPolicyVersionCommands } from './policy-versions.js';

/** Where the command writes; the process streams unless a test passes its own. */
export interface PolicyCommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: PolicyCommandOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export interface PolicyTestOptions {
  config: string;
  connector: string;
  subject: string;
  groups: string[];
  agent: boolean;
  text: string;
  /** Database the command runs in; defaults to the connector's target database. */
  database?: string;
  /** Evaluation time (for time windows); defaults to now. */
  at?: number;
  json?: boolean;
}

/** `gatehouse policy test`: print the decision and the rule that produced it, running nothing. */
export function registerPolicyCommand(
  program: Program,
  output: PolicyCommandOutput = processOutput,
): void {
  const policy = program
    .command('policy')
    .description('work with connector rules: test them, apply and follow central versions');
  registerPolicyVersionCommands(policy);
  policy
    .command('test')
    .description('print the decision and the rule that produced it, without running anything')
    .argument('<connector>', 'connector name')
    .argument('<command>', 'the command as the client would send it (SQL for postgres)')
    .option('-c, --config <file>', 'config file', './gatehouse.yaml')
    .requiredOption('--as <subject>', 'subject of the identity to test as')
    .option('--groups <a,b>', 'groups of the identity, comma separated', '')
    .option('--agent', 'the identity is an agent', false)
    .option('--database <name>', 'database the command runs in (default: the target database)')
    .option('--at <time>', 'evaluate at this ISO 8601 time instead of now')
    .option('--json', 'print the explanation as JSON', false)
    .action(async (connector: string, text: string, flags: Record<string, unknown>) => {
      const at = flags['at'] === undefined ? undefined : Date.parse(String(flags['at']));
      if (at !== undefined && Number.isNaN(at)) {
        output.stderr(`gatehouse: --at "${String(flags['at'])}" is not an ISO 8601 time\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = await runPolicyTest(
        {
          config: String(flags['config']),
          connector,
          subject: String(flags['as']),
          groups: splitList(String(flags['groups'] ?? '')),
          agent: flags['agent'] === true,
          text,
          database: flags['database'] === undefined ? undefined : String(flags['database']),
          at,
          json: flags['json'] === true,
        },
        output,
      );
    });
}

/** Runs one policy test and prints it; resolves with the exit code (0 decided, 1 error). */
export async function runPolicyTest(
  options: PolicyTestOptions,
  output: PolicyCommandOutput,
): Promise<number> {
  let config: Config;
  try {
    // Secrets are not needed to evaluate rules; the tester works without them.
    config = await loadConfig(options.config, { checkReferences: false });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) output.stderr(`${formatIssue(options.config, issue)}\n`);
    return 1;
  }
  const connector = config.connectors.find((c) => c.name === options.connector);
  if (!connector) {
    const known = config.connectors.map((c) => c.name).join(', ') || '(none)';
    output.stderr(`gatehouse: no connector "${options.connector}" (configured: ${known})\n`);
    return 1;
  }
  const tester = createPolicyTester(CONNECTOR_MODULES);
  const module = tester.moduleFor(connector);
  if (!module) {
    output.stderr(
      `gatehouse: connector "${connector.name}" is of type ${connector.type}, which this build cannot classify\n`,
    );
    return 1;
  }
  for (const issue of tester.issues(connector)) {
    const path = `connectors[${config.connectors.indexOf(connector)}].${formatPath(issue.path)}`;
    output.stderr(`warning: ${path}: ${issue.message}\n`);
  }
  const {
    command,
    identity,
    at: now,
    explanation,
  } = await tester.explain(connector, {
    subject: options.subject,
    groups: options.groups,
    agent: options.agent,
    text: options.text,
    scope: options.database === undefined ? undefined : { database: options.database },
    at: options.at,
  });
  output.stdout(
    options.json
      ? `${JSON.stringify({ command, identity, at: new Date(now).toISOString(), ...explanation }, null, 2)}\n`
      : render(explanation, command, connector, module),
  );
  return 0;
}

function render(
  explanation: PolicyExplanation,
  command: Command,
  connector: ConnectorConfig,
  module: ConnectorModule,
): string {
  const { decision } = explanation;
  const lines = [
    `decision: ${decision.action}`,
    `rule:     ${decision.rule ?? `connector default (${connector.default})`}`,
    `reason:   ${decision.reason}`,
  ];
  if (decision.review) lines.push(`review:   ${describeReview(decision.review)}`);
  lines.push(`classes:  ${command.classes.join(', ') || '(none)'}`);
  if (command.unclassifiable) {
    lines.push('          cannot be classified: every rule whose other conditions hold applies');
  }
  for (const [key, value] of Object.entries(command.attributes ?? {})) {
    const meaning = module.describeAttribute?.(key, value);
    lines.push(`${`${key}:`.padEnd(10)}${String(value)}${meaning ? ` (${meaning})` : ''}`);
  }
  if (explanation.evaluated.length > 0) lines.push('rules:');
  for (const rule of explanation.evaluated) {
    const mark = rule.matched ? 'matched' : 'skipped';
    lines.push(
      `  ${mark} ${rule.rule} (${rule.action})${rule.matched ? '' : `: ${rule.unmet.join('; ')}`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function describeReview(review: NonNullable<PolicyExplanation['decision']['review']>): string {
  const parts = [`${review.approvals} approval${review.approvals === 1 ? '' : 's'}`];
  if (review.approvers) parts.unshift(`approvers ${review.approvers.join(', ')}`);
  if (review.timeout !== undefined) parts.push(`timeout ${formatDuration(review.timeout)}`);
  if (review.wait !== undefined) parts.push(`wait ${formatDuration(review.wait)}`);
  if (review.grant !== undefined) parts.push(`grant ${formatDuration(review.grant)}`);
  return parts.join(', ');
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
