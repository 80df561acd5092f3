import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ConnectorConfig } from '../../config/schema.js';
import type { ConnectorDeps } from '../../core/connector.js';
import type { Gate } from '../../core/gate.js';
import { createKubernetesConnector, jsonOnly } from './kubernetes-connector.js';

function deps(overrides: Partial<ConnectorConfig> = {}): ConnectorDeps {
  const config: ConnectorConfig = {
    name: 'k8s',
    type: 'kubernetes',
    listen: { host: '127.0.0.1', port: 0 },
    target: { server: 'https://127.0.0.1:1', token: { env: 'T' }, impersonate: true },
    access: { groups: ['*'] },
    default: 'allow',
    rules: [],
    masking: [],
    ...overrides,
  };
  return {
    config,
    gate: {} as Gate,
    authenticator: { authenticate: () => Promise.reject(new Error('unused')) },
    logger: pino({ level: 'silent' }),
    secret: () => 'x',
    publicUrl: 'http://127.0.0.1:8080',
  };
}

describe('kubernetes listener start-up fails closed', () => {
  it('refuses to start without TLS', async () => {
    await expect(createKubernetesConnector(deps()).start()).rejects.toThrow(/needs TLS/);
  });

  it('refuses column masking rules it cannot apply', async () => {
    const config = deps({ masking: [{ columns: ['email'], strategy: 'redact' }] });
    await expect(createKubernetesConnector(config).start()).rejects.toThrow(/masking rules/);
  });
});

describe('jsonOnly', () => {
  it('drops protobuf and wildcards, keeping JSON and Table requests', () => {
    expect(jsonOnly('application/vnd.kubernetes.protobuf, */*')).toBe('application/json');
    expect(jsonOnly(undefined)).toBe('application/json');
    expect(
      jsonOnly(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).toBe(
      'application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json',
    );
  });
});
