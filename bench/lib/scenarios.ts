/**
 * A workload plus how the gateway is configured for it. Direct and PgBouncer runs ignore the
 * gateway part, so every scenario keeps the same two baselines. Add a scenario here (e.g.
 * masking on the result path, release latency across replicas) and select it with
 * `--scenarios`.
 */
export interface Scenario {
  name: string;
  /** One line for the report. */
  description: string;
  /** pgbench script selection, e.g. `['-S']` (built-in select-only) or `['-f', 'file.sql']`. */
  script: readonly string[];
  /** Last word on the gateway's config object (YAML-shaped) before it is parsed. */
  configureGateway?: (config: Record<string, unknown>) => void;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'select-only',
    description:
      'pgbench -S (one primary-key SELECT per transaction); gateway as configured by default: ' +
      'audit durability strict, default allow, no rules, no masking',
    script: ['-S'],
  },
  {
    name: 'select-only-batched',
    description:
      'as select-only, with audit durability batched (records committed after forwarding)',
    script: ['-S'],
    configureGateway: (config) => {
      config['audit'] = { durability: 'batched' };
    },
  },
  {
    name: 'select-only-masked',
    description:
      'as select-only, with column masking on pgbench_accounts.filler and content detectors ' +
      '(every result row is scanned)',
    script: ['-S'],
    configureGateway: (config) => {
      const connectors = config['connectors'] as Array<Record<string, unknown>>;
      connectors[0]!['masking'] = [
        { columns: ['pgbench_accounts.filler'], strategy: 'redact' },
        { detectors: ['email', 'payment_card'], strategy: 'keep_last_4' },
      ];
    },
  },
];

export const DEFAULT_SCENARIOS = ['select-only'];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

/** Looks scenarios up by name; throws naming the unknown ones and the choices. */
export function findScenarios(names: readonly string[]): Scenario[] {
  const unknown = names.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario ${unknown.join(', ')} (choose from ${scenarioNames().join(', ')})`,
    );
  }
  return names.map((name) => SCENARIOS.find((s) => s.name === name)!);
}
