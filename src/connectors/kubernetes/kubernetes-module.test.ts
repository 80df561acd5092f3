import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../core/errors.js';
import { createPolicy, createPolicyTester, policyIssues } from '../../policy/index.js';
import { parseConfig } from '../registry.js';
import { kubernetesModule } from './kubernetes-module.js';
import { kubeStatus } from './protocol/status.js';

// The issue's example, as users write it.
const YAML = `
identity:
  issuers: [{ name: dev, dev: true }]
connectors:
  - name: k8s-prod
    type: kubernetes
    listen: 127.0.0.1:16443
    tls: { cert: { file: ./certs/gw.pem }, key: { file: ./certs/gw-key.pem } }
    target:
      server: https://10.0.0.1:6443
      ca: { file: ./certs/cluster-ca.pem }
      token: { env: K8S_GATEWAY_TOKEN }
      impersonate: true
    access: { groups: [agents, sre] }
    default: allow
    rules:
      - name: prod-deletes-need-review
        when: { verb: [delete, deletecollection], namespace: [prod] }
        action: review
        review: { approvers: [sre] }
      - name: privileged-exec-needs-review
        when: { verb: [exec, attach], privileged: true, agent: true }
        action: review
        review: { approvers: [sre] }
      - name: no-secret-writes
        when: { resource: [secrets], verb: [write] }
        action: deny
`;

const parse = (text: string) => parseConfig(text, '/etc/gatehouse/gatehouse.yaml');

describe('kubernetes module: config', () => {
  it('parses the documented example, resolving files next to the config', () => {
    const config = parse(YAML);
    const connector = config.connectors[0]!;
    expect(connector.type).toBe('kubernetes');
    expect(connector.tls).toEqual({
      cert: { file: '/etc/gatehouse/certs/gw.pem' },
      key: { file: '/etc/gatehouse/certs/gw-key.pem' },
    });
    expect(connector.target).toMatchObject({
      server: 'https://10.0.0.1:6443',
      ca: { file: '/etc/gatehouse/certs/cluster-ca.pem' },
      impersonate: true,
    });
  });

  it.each([
    ['server: http://10.0.0.1:6443\n      token: { env: T }', 'https://'],
    ['server: https://10.0.0.1:6443', 'own credentials'],
    ['server: https://10.0.0.1:6443\n      client_cert: { file: c.pem }', 'go together'],
    [
      'server: https://a:6443\n      token: { env: T }\n      client_cert: { file: c }\n      client_key: { file: k }',
      'not both',
    ],
  ])('rejects target %j', (target, message) => {
    const text = `identity:\n  issuers: [{ name: dev, dev: true }]\nconnectors:\n  - name: k\n    type: kubernetes\n    listen: 127.0.0.1:1\n    target:\n      ${target}\n    access: { groups: ['*'] }\n`;
    expect(() => parse(text)).toThrow(message);
  });

  it('reports an unknown verb', () => {
    const config = parse(YAML.replace('[delete, deletecollection]', '[delete, nuke]'));
    const issues = policyIssues(config.connectors[0]!, kubernetesModule.conditions);
    expect(issues.map((i) => i.message)).toEqual(['unknown verb "nuke"']);
  });
});

describe('kubernetes module: policy over classified requests', () => {
  const connector = parse(YAML).connectors[0]!;
  const policy = createPolicy([kubernetesModule]);
  const person = {
    issuer: 'i',
    issuerName: 'dev',
    subject: 'alice',
    groups: ['sre'],
    agent: false,
  };
  const agent = { ...person, subject: 'bot', agent: true };
  const decide = async (text: string, who = person, privileged?: boolean) => {
    const command = await kubernetesModule.classify(text);
    const withFacts =
      privileged === undefined
        ? command
        : { ...command, attributes: { ...command.attributes, privileged } };
    return policy.decide({ connector, identity: who, command: withFacts, now: Date.now() });
  };

  it('sends a delete in prod to review, and lets one elsewhere through', async () => {
    expect((await decide('DELETE /api/v1/namespaces/prod/pods/web-0')).action).toBe('review');
    expect((await decide('DELETE /api/v1/namespaces/prod/configmaps')).action).toBe('review');
    expect((await decide('DELETE /api/v1/namespaces/dev/pods/web-0')).action).toBe('allow');
    expect((await decide('GET /api/v1/namespaces/prod/pods')).action).toBe('allow');
  });

  it('reviews an agent exec into a privileged pod only', async () => {
    const exec = 'GET /api/v1/namespaces/dev/pods/node-agent/exec?command=sh';
    expect((await decide(exec, agent, true)).action).toBe('review');
    expect((await decide(exec, agent, false)).action).toBe('allow');
    expect((await decide(exec, person, true)).action).toBe('allow');
  });

  it('denies secret writes by resource', async () => {
    expect((await decide('POST /api/v1/namespaces/dev/secrets')).action).toBe('deny');
    expect((await decide('GET /api/v1/namespaces/dev/secrets')).action).toBe('allow');
  });

  it('takes the most restrictive rule for a malformed request', async () => {
    const decision = await decide('GET /api/v1/namespaces/prod/pods/a/b/c');
    expect(decision.action).toBe('deny');
  });
});

describe('kubernetes module: the policy tester', () => {
  it('reads the namespace from the request line itself', async () => {
    const connector = parse(YAML).connectors[0]!;
    const tester = createPolicyTester([kubernetesModule]);
    const { command, explanation } = await tester.explain(connector, {
      text: 'DELETE /api/v1/namespaces/prod/pods/web-0',
      subject: 'bot',
      groups: ['agents'],
      agent: true,
    });
    expect(command.target).toMatchObject({ namespace: 'prod', resource: 'pods', name: 'web-0' });
    expect(explanation.decision.action).toBe('review');
  });
});

describe('kubernetes module: errors', () => {
  it('renders a denial as a Forbidden Status with the rationale and ticket', () => {
    const error = new GatehouseError('policy_denied', 'denied by rule "r"', {
      rule: 'r',
      rationale: 'deletes in prod are reviewed',
      ticketId: 'T-1',
    });
    const status = JSON.parse(new TextDecoder().decode(kubernetesModule.renderError(error)));
    expect(status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      code: 403,
      reason: 'Forbidden',
    });
    expect(status.message).toContain('deletes in prod are reviewed');
    expect(status.message).toContain('ticket T-1');
  });

  it('renders a missing token as Unauthorized', () => {
    expect(kubeStatus(new GatehouseError('token_missing', 'no token'))).toMatchObject({
      code: 401,
      reason: 'Unauthorized',
    });
  });
});
