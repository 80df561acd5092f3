import type { Command as Program } from 'commander';
import { formatDuration } from '../../config/duration.js';
import { ConfigError, formatIssue, loadConfig } from '../../config/load.js';
import type { Config, ConnectorConfig } from '../../config/schema.js';
import type { Command } from '../../core/command.js';
import type { Identity } from '../../core/identity.js';
import { createPolicy, type PolicyExplanation, policyIssues } from '../../policy/index.js';

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
  const policy = program.command('policy').description('work with connector rules');
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
  if (connector.type !== 'postgres') {
    output.stderr(
      `gatehouse: connector "${connector.name}" is of type ${connector.type}; ` +
        'the policy tester can classify only postgres commands so far\n',
    );
    return 1;
  }
  for (const issue of policyIssues(connector)) {
    const path = `connectors[${config.connectors.indexOf(connector)}].${formatPath(issue.path)}`;
    output.stderr(`warning: ${path}: ${issue.message}\n`);
  }
  const { command, identity, at: now, explanation } = await explainPolicyTest(connector, options);
  output.stdout(
    options.json
      ? `${JSON.stringify({ command, identity, at: new Date(now).toISOString(), ...explanation }, null, 2)}\n`
      : render(explanation, command, connector),
  );
  return 0;
}

/** What `policy test` (and the console's policy tester) evaluates: one command, one identity. */
export interface PolicyTestInput {
  subject: string;
  groups: string[];
  agent: boolean;
  text: string;
  database?: string;
  at?: number;
}

/**
 * Classifies `text` with the connector's real classifier and explains the policy decision for
 * a made-up identity, running nothing. Only postgres connectors can classify commands so far.
 */
export async function explainPolicyTest(connector: ConnectorConfig, input: PolicyTestInput) {
  if (connector.type !== 'postgres') {
    throw new TypeError(`connector "${connector.name}" is of type ${connector.type}`);
  }
  const { loadSqlClassifier } = await import('../../connectors/postgres/classify/classifier.js');
  const classification = (await loadSqlClassifier({ cacheEntries: 1 })).classify(input.text);
  const database = input.database ?? connector.target.database;
  const command: Command = {
    text: input.text,
    classes: classification.classes,
    whereAbsent: classification.whereAbsent,
    unclassifiable: classification.unclassifiable,
    target: database === undefined ? {} : { database },
  };
  const identity: Identity = {
    issuer: 'gatehouse-policy-test',
    issuerName: 'policy-test',
    subject: input.subject,
    groups: input.groups,
    agent: input.agent,
  };
  const at = input.at ?? Date.now();
  const explanation = createPolicy().explain({ connector, identity, command, now: at });
  return { command, identity, at, explanation };
}

function render(
  explanation: PolicyExplanation,
  command: Command,
  connector: ConnectorConfig,
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
  if (command.whereAbsent) lines.push('where:    absent (a DELETE/UPDATE has no WHERE)');
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
