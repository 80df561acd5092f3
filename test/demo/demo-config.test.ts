import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadSqlClassifier,
  type SqlClassifier,
} from '../../src/connectors/postgres/classify/classifier.js';
import { sqlCommand } from '../../src/connectors/postgres/session/command.js';
import { CONNECTOR_MODULES, connectorModule } from '../../src/connectors/registry.js';
import type { Identity } from '../../src/core/identity.js';
import { demoConfig, demoConfigYaml } from '../../src/demo/demo-config.js';
import { compileMasking } from '../../src/masking/index.js';
import { createPolicy, policyIssues } from '../../src/policy/index.js';

const target = { host: '127.0.0.1', port: 54321 };

function who(subject: string, groups: string[], agent: boolean): Identity {
  return { issuer: 'urn:gatehouse:dev', issuerName: 'dev', subject, groups, agent };
}

describe('demo config', () => {
  const config = demoConfig({ target, stateDir: '/tmp/gh-demo-state' });
  const connector = config.connectors[0]!;
  let classifier: SqlClassifier;

  beforeAll(async () => {
    classifier = await loadSqlClassifier();
  });

  it('points the connector at the embedded target and keeps state in the state dir', () => {
    expect(connector).toMatchObject({
      name: 'demo',
      type: 'postgres',
      listen: { host: '127.0.0.1', port: 15432 },
      target: { host: '127.0.0.1', port: 54321, database: 'postgres', user: 'postgres' },
      access: { groups: ['agents', 'dba', 'developers'] },
      default: 'allow',
    });
    expect(config.store.url).toBe('sqlite:/tmp/gh-demo-state/demo.db');
    expect(config.identity.issuers).toEqual([
      expect.objectContaining({ dev: true, key_file: '/tmp/gh-demo-state/dev-issuer-key.json' }),
    ]);
    expect(config.server.api.public_url).toBe('http://127.0.0.1:8080');
  });

  it('leaves public_url to the gateway when the API port is ephemeral', () => {
    const ephemeral = demoConfig({ target, apiListen: '127.0.0.1:0', pgListen: '127.0.0.1:0' });
    expect(ephemeral.server.api.public_url).toBeUndefined();
    expect(ephemeral.connectors[0]!.listen.port).toBe(0);
    expect(demoConfigYaml({ target })).toContain('sqlite:./.gatehouse/demo.db');
  });

  it('has no rule or masking problems the schema cannot see', () => {
    expect(policyIssues(connector, connectorModule(connector.type).conditions)).toEqual([]);
    expect(() => compileMasking(connector.masking)).not.toThrow();
  });

  const cases: Array<[string, Identity, string, string]> = [
    ['agent reads customers', who('agent-1', ['agents'], true), 'SELECT * FROM customers', 'allow'],
    [
      'agent deletes one row',
      who('agent-1', ['agents'], true),
      'DELETE FROM customers WHERE id = 1',
      'allow',
    ],
    [
      'agent deletes every row',
      who('agent-1', ['agents'], true),
      'DELETE FROM customers;',
      'review',
    ],
    [
      'agent updates every row',
      who('agent-1', ['agents'], true),
      "update orders set status = 'x'",
      'review',
    ],
    ['agent drops a table', who('agent-1', ['agents'], true), 'DROP TABLE orders;', 'review'],
    ['developer truncates', who('dev-1', ['developers'], false), 'TRUNCATE audit_notes', 'review'],
    [
      'human deletes every row',
      who('dev-1', ['developers'], false),
      'DELETE FROM customers',
      'allow',
    ],
    ['dba drops a table', who('alice', ['dba'], false), 'DROP TABLE orders', 'allow'],
    ['dba drops the database', who('alice', ['dba'], false), 'DROP DATABASE postgres', 'deny'],
  ];

  it.each(cases)('%s → %s', (_, identity, sql, expected) => {
    const classification = classifier.classify(sql);
    const decision = createPolicy(CONNECTOR_MODULES).decide({
      connector,
      identity,
      command: sqlCommand(sql, classification, { database: 'postgres' }),
      now: Date.now(),
    });
    expect(decision.action).toBe(expected);
  });
});
