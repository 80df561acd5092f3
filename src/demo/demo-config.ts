import type { Config } from '../config/schema.js';
import { parseConfig } from '../connectors/registry.js';

/** Where the demo listens and keeps its files; every field has a default. */
export interface DemoConfigOptions {
  /** The embedded demo target (from `startDemoTarget`). */
  target: { host: string; port: number };
  /** Directory for the store, the dev issuer key and the demo data (default `./.gatehouse`). */
  stateDir?: string;
  /** API and console listen address (default `127.0.0.1:8080`). */
  apiListen?: string;
  /** The postgres connector's listen address (default `127.0.0.1:15432`). */
  pgListen?: string;
  /** Directory relative paths are resolved against (default: the working directory). */
  baseDir?: string;
}

export const DEMO_CONNECTOR = 'demo';
export const DEMO_API_LISTEN = '127.0.0.1:8080';
export const DEMO_PG_LISTEN = '127.0.0.1:15432';

/**
 * The demo's config as YAML, written the way a user would write theirs: dev issuer, SQLite
 * store, one postgres connector in front of the embedded target with the example rules and
 * masking for the customers' personal data (docs/policy.md, "The example configuration").
 */
export function demoConfigYaml(options: DemoConfigOptions): string {
  const state = (options.stateDir ?? './.gatehouse').replace(/\/+$/, '');
  const api = options.apiListen ?? DEMO_API_LISTEN;
  const pg = options.pgListen ?? DEMO_PG_LISTEN;
  const q = (value: string | number) => JSON.stringify(value);
  // An ephemeral API port is only known once bound; the gateway then uses the bound URL.
  const publicUrl = api.endsWith(':0') ? '' : `, public_url: ${q(`http://${api}`)}`;
  return `# The embedded demo (gatehouse demo / npm start). Print it with: gatehouse demo --print-config
server:
  api: { listen: ${q(api)}${publicUrl} }
store: { url: ${q(`sqlite:${state}/demo.db`)} }
identity:
  issuers:
    # Local signing key; mint tokens with: gatehouse token --dev SUBJECT --groups agents --agent
    - { name: dev, dev: true, key_file: ${q(`${state}/dev-issuer-key.json`)} }
reviews:
  approvers: [dba]
connectors:
  - name: ${DEMO_CONNECTOR}
    type: postgres
    listen: ${q(pg)}
    target:
      host: ${q(options.target.host)}
      port: ${options.target.port}
      database: postgres
      user: postgres
    access: { groups: [agents, dba, developers] }
    default: allow
    rules:
      - name: no-dropping-databases
        when: { statement: [drop_database] }
        action: deny
        reason: databases are never dropped through the gateway
      - name: destructive-changes-need-a-dba
        when: { statement: [drop_table, truncate, alter_role, grant, revoke], groups_not: [dba] }
        action: review
        review: { approvers: [dba], approvals: 1, timeout: 1h, wait: 2m }
      - name: unbounded-writes-need-review
        when: { statement: [delete, update], where: absent, agent: true }
        action: review
        review: { approvers: [dba], timeout: 1h, wait: 2m }
    masking:
      - columns: [customers.email]
        strategy: redact
      - columns: [customers.ssn, customers.card_number]
        strategy: keep_last_4
      - detectors: [email, payment_card, iban, us_ssn, phone]
        strategy: keep_last_4
`;
}

/** The demo config, validated by the same parser as a user's file (throws ConfigError). */
export function demoConfig(options: DemoConfigOptions): Config {
  return parseConfig(demoConfigYaml(options), '<demo config>', {
    baseDir: options.baseDir ?? process.cwd(),
  });
}
