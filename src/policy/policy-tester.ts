/**
 * The policy tester behind `gatehouse policy test` and the console's tester: classifies a text
 * with the connector module's own classifier and explains the policy decision for a made-up
 * identity, running nothing.
 */
import type { ConnectorConfig } from '../config/schema.js';
import type { Command } from '../core/command.js';
import type { ConnectorModule } from '../core/connector-module.js';
import type { Identity } from '../core/identity.js';
import { createPolicy, type PolicyExplanation } from './policy.js';
import { type PolicyIssue, policyIssues } from './validate.js';

/** What the tester evaluates: one command, one identity. */
export interface PolicyTestInput {
  subject: string;
  groups: string[];
  agent: boolean;
  text: string;
  /** Scope fields that replace the connector's default scope (e.g. another database). */
  scope?: Record<string, string>;
  /** Evaluation time (for time windows); defaults to now. */
  at?: number;
}

export interface PolicyTestResult {
  command: Command;
  identity: Identity;
  at: number;
  explanation: PolicyExplanation;
}

export interface PolicyTester {
  /** The module that classifies commands for `connector`, if this build has one. */
  moduleFor(connector: ConnectorConfig): ConnectorModule | undefined;
  /** Rule problems the schema cannot see (unknown class names, bad time zones). */
  issues(connector: ConnectorConfig): PolicyIssue[];
  explain(connector: ConnectorConfig, input: PolicyTestInput): Promise<PolicyTestResult>;
}

export function createPolicyTester(modules: ReadonlyArray<ConnectorModule>): PolicyTester {
  const policy = createPolicy(modules);
  const moduleFor = (connector: ConnectorConfig) => modules.find((m) => m.type === connector.type);
  return {
    moduleFor,
    issues(connector) {
      return policyIssues(connector, moduleFor(connector)?.conditions ?? {});
    },
    async explain(connector, input) {
      const module = moduleFor(connector);
      if (!module) {
        throw new TypeError(
          `connector "${connector.name}" is of type ${connector.type}, not in this build`,
        );
      }
      const classified = await module.classify(input.text);
      const command: Command = {
        ...classified,
        // The connector's default scope, then what the text itself names (a Kubernetes request
        // line names its namespace), then what the tester was told.
        target: { ...module.scope?.(connector.target), ...classified.target, ...input.scope },
      };
      const identity: Identity = {
        issuer: 'gatehouse-policy-test',
        issuerName: 'policy-test',
        subject: input.subject,
        groups: input.groups,
        agent: input.agent,
      };
      const at = input.at ?? Date.now();
      const explanation = policy.explain({ connector, identity, command, now: at });
      return { command, identity, at, explanation };
    },
  };
}
