import type { Command } from 'commander';
import { plural } from '../../config/config-error.js';
import { ConfigError, formatIssue, loadConfig } from '../../connectors/registry.js';

/** Where a command writes; the process streams unless a test passes its own. */
export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: CommandOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** `gatehouse config check -c FILE`: validate a config, listing every error with key path and line. */
export function registerConfigCommand(
  program: Command,
  output: CommandOutput = processOutput,
): void {
  const config = program.command('config').description('work with the config file');
  config
    .command('check')
    .description('validate a config; every error names its key path and line')
    .option('-c, --config <file>', 'config file', './gatehouse.yaml')
    .action(async (options: { config: string }) => {
      process.exitCode = await checkConfig(options.config, output);
    });
}

/**
 * Loads the config as `serve` would (schema, relative paths, secret references resolvable,
 * TLS files readable) and reports: `ok: N connectors, M issuers` → 0, or one
 * `FILE:LINE: path: message` line per problem on stderr → 1. Secret values are never printed.
 */
export async function checkConfig(file: string, output: CommandOutput): Promise<number> {
  try {
    const config = await loadConfig(file);
    const connectors = plural(config.connectors.length, 'connector');
    output.stdout(`ok: ${connectors}, ${plural(config.identity.issuers.length, 'issuer')}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) output.stderr(`${formatIssue(file, issue)}\n`);
    return 1;
  }
}
