import { type ConnectorConfig, configSchema } from '../config/schema.js';
import type { Command } from '../core/command.js';
import type { Identity } from '../core/identity.js';

/**
 * Test helpers: a connector exactly as the config schema produces it (so rule shapes are the
 * real, transformed ones), identities and commands with sensible defaults.
 */
export function connectorWith(
  rules: unknown[],
  options: { type?: ConnectorConfig['type']; default?: 'allow' | 'deny' | 'review' } = {},
): ConnectorConfig {
  const config = configSchema.parse({
    identity: { issuers: [{ name: 'dev', dev: true }] },
    reviews: { approvers: ['dba'] },
    connectors: [
      {
        name: 'c',
        type: options.type ?? 'postgres',
        listen: '127.0.0.1:0',
        target: { host: '127.0.0.1', port: 5432, database: 'app' },
        access: { groups: ['*'] },
        default: options.default ?? 'allow',
        rules,
      },
    ],
  });
  return config.connectors[0]!;
}

export function identity(overrides: Partial<Identity> = {}): Identity {
  return {
    issuer: 'https://issuer.test',
    issuerName: 'test',
    subject: 'alice',
    groups: [],
    agent: false,
    ...overrides,
  };
}

export function sqlCommand(classes: string[], overrides: Partial<Command> = {}): Command {
  return {
    text: '-- test',
    classes,
    whereAbsent: false,
    unclassifiable: false,
    target: { database: 'app' },
    ...overrides,
  };
}
