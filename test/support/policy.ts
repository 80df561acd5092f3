/**
 * Test helpers for policy: a connector exactly as the config schema produces it (so rule shapes
 * are the real, transformed ones), and identities and commands with sensible defaults.
 */
import {
  buildConfigSchema,
  type ConnectorConfig,
  type ConnectorSchemaModule,
} from '../../src/config/schema.js';
import { postgresModule } from '../../src/connectors/postgres/postgres-module.js';
import { CONNECTOR_MODULES } from '../../src/connectors/registry.js';
import type { Command } from '../../src/core/command.js';
import type { Identity } from '../../src/core/identity.js';
import { createPolicy, type PolicyModule } from '../../src/policy/index.js';

type TestModule = ConnectorSchemaModule & PolicyModule;

/** This build's modules (every protocol the tests name has a real one). */
export const TEST_MODULES: ReadonlyArray<TestModule> = CONNECTOR_MODULES;

const testConfigSchema = buildConfigSchema(TEST_MODULES);

/** The real evaluator over `TEST_MODULES`. */
export const testPolicy = () => createPolicy(TEST_MODULES);

/** The condition specs of a connector type, as policyIssues takes them. */
export function conditionsOf(type: string): PolicyModule['conditions'] {
  return TEST_MODULES.find((m) => m.type === type)?.conditions ?? {};
}

/** A valid `target:` for the ssh module (its schema is strict). */
const SSH_TARGET = {
  host: '127.0.0.1',
  logins: ['deploy'],
  private_key: { env: 'GATEHOUSE_TEST_SSH_KEY' },
  host_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
};

export function connectorWith(
  rules: unknown[],
  options: { type?: string; default?: 'allow' | 'deny' | 'review' } = {},
): ConnectorConfig {
  const config = testConfigSchema.parse({
    identity: { issuers: [{ name: 'dev', dev: true }] },
    reviews: { approvers: ['dba'] },
    connectors: [
      {
        name: 'c',
        type: options.type ?? postgresModule.type,
        listen: '127.0.0.1:0',
        target:
          options.type === 'kubernetes'
            ? { server: 'https://k8s.test:6443', token: { env: 'K8S_TOKEN' } }
            : options.type === 'ssh'
              ? SSH_TARGET
              : { host: '127.0.0.1', port: 5432, database: 'app' },
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

/** A command as the SQL classifier builds it; `whereAbsent` sets `attributes.where`. */
export function sqlCommand(
  classes: string[],
  overrides: Partial<Command> & { whereAbsent?: boolean } = {},
): Command {
  const { whereAbsent, ...rest } = overrides;
  return {
    protocol: 'postgres',
    text: '-- test',
    classes,
    unclassifiable: false,
    target: { database: 'app' },
    ...(whereAbsent && { attributes: { where: 'absent' } }),
    ...rest,
  };
}
