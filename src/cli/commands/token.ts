import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseDuration } from '../../config/duration.js';
import type { IssuerConfig } from '../../config/schema.js';
import { loadConfig } from '../../connectors/registry.js';
import { DevIssuer } from '../../identity/index.js';
import { addLoginOptions, type LoginOptions, printExecCredential } from './login.js';

interface TokenOptions extends LoginOptions {
  execCredential?: boolean;
  dev?: string;
  groups?: string;
  agent: boolean;
  name?: string;
  ttl: string;
  config: string;
}

/** Used when no config file exists: the same dev issuer (and key file) the demo runs with. */
const DEMO_DEV_ISSUER: IssuerConfig = { name: 'dev', kind: 'generic', dev: true };

/**
 * `gatehouse token --dev SUBJECT [--groups a,b] [--agent] [--ttl 1h]`: prints only the token.
 * `gatehouse token --exec-credential`: kubectl's credential plugin (the `gatehouse login` token).
 */
export function registerTokenCommand(program: Command): void {
  const command = program
    .command('token')
    .description(
      'print a token: --exec-credential for kubectl (after gatehouse login), --dev to mint a dev-issuer token',
    )
    .option('--exec-credential', 'print an ExecCredential for kubectl with the login token')
    .option('--dev <subject>', 'mint a dev-issuer token for SUBJECT')
    .option('--groups <list>', 'comma-separated groups')
    .option('--agent', 'mark the token as an agent', false)
    .option('--name <name>', 'display name')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 8h', '1h');
  addLoginOptions(command).action(async function (this: Command, options: TokenOptions) {
    if (options.execCredential) {
      await printExecCredential(options, (text) => process.stdout.write(text));
      return;
    }
    if (!options.dev) throw new Error('say which token to mint: gatehouse token --dev SUBJECT');
    const ttlMs = parseDuration(options.ttl);
    if (!ttlMs) throw new Error(`invalid --ttl "${options.ttl}" (use e.g. 30m, 1h)`);
    const explicit = this.getOptionValueSource('config') !== 'default';
    const issuer = await DevIssuer.load(await devIssuerConfig(options.config, explicit));
    const mintOptions: Parameters<DevIssuer['mint']>[1] = {
      groups: (options.groups ?? '')
        .split(',')
        .map((group) => group.trim())
        .filter(Boolean),
      agent: options.agent,
      ttlSeconds: ttlMs / 1000,
    };
    if (options.name) mintOptions.name = options.name;
    const token = await issuer.mint(options.dev, mintOptions);
    this.configureOutput().writeOut?.(`${token}\n`);
  });
}

async function devIssuerConfig(path: string, explicit: boolean): Promise<IssuerConfig> {
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (!exists && !explicit) return DEMO_DEV_ISSUER;
  const config = await loadConfig(path);
  const dev = config.identity.issuers.find((issuer) => issuer.dev);
  if (!dev) throw new Error(`${path} has no dev issuer (an identity issuer with dev: true)`);
  return dev;
}
