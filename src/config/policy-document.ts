import { stringify } from 'yaml';
import { ConfigError } from './config-error.js';
import { placeProblems, readYaml } from './load.js';
import {
  type Config,
  type ConnectorConfig,
  type ConnectorPolicy,
  type ConnectorSchemaModule,
  policyEntrySchemaFor,
  ruleProblems,
} from './schema.js';
import { configErrorMap, type SchemaProblem, schemaProblems } from './schema-issues.js';

/** The keys of a connector entry that a central policy version replaces. */
const POLICY_KEYS = ['name', 'default', 'rules', 'masking'] as const;

/** A validated central policy document. */
export interface PolicyDocument {
  /** Each named connector's policy, as validated (durations in ms, defaults filled in). */
  connectors: ConnectorPolicy[];
  /**
   * The document as stored and exported: `connectors:` with only the policy keys of each entry,
   * as written (durations as text), in YAML. Applying it again gives the same policy.
   */
  text: string;
}

export interface PolicyDocumentOptions {
  /** This build's connector modules (each entry is checked with its connector type's schema). */
  modules: ReadonlyArray<ConnectorSchemaModule>;
  /** The running config: every named connector must be one of its connectors. */
  config: Pick<Config, 'connectors' | 'reviews'>;
  /**
   * Checks beyond the schema on a validated entry (rule condition issues, masking that does not
   * compile), with paths below the entry.
   */
  check?: (
    policy: ConnectorPolicy,
    connector: ConnectorConfig,
  ) => Array<{ path: PropertyKey[]; message: string }>;
}

/**
 * Validates a central policy document (docs/policy.md, "Central policy"): a config file or an
 * excerpt of one; only `connectors[].name/default/rules/masking` are read. Throws `ConfigError`
 * with every problem by key path and line, as `config check` reports them.
 */
export function parsePolicyDocument(
  text: string,
  sourceName: string,
  options: PolicyDocumentOptions,
): PolicyDocument {
  const { doc, lines, data } = readYaml(text, sourceName);
  const problems: SchemaProblem[] = [];
  const fail = () => new ConfigError(sourceName, placeProblems(doc, lines, problems));
  if (!isMapping(data)) {
    problems.push({ path: [], message: 'expected a mapping with connectors:' });
    throw fail();
  }
  const entries = data['connectors'];
  if (!Array.isArray(entries)) {
    problems.push({
      path: ['connectors'],
      message: entries === undefined ? 'required' : 'expected a list of connectors',
    });
    throw fail();
  }
  const known = options.config.connectors;
  const seen = new Set<string>();
  const connectors: ConnectorPolicy[] = [];
  const kept: Array<Record<string, unknown>> = [];
  entries.forEach((entry: unknown, index) => {
    const at = (...path: PropertyKey[]) => ['connectors', index, ...path];
    if (!isMapping(entry)) {
      problems.push({ path: at(), message: 'expected a mapping with name:' });
      return;
    }
    const name = entry['name'];
    if (typeof name !== 'string') {
      problems.push({
        path: at('name'),
        message: name === undefined ? 'required' : 'expected string',
      });
      return;
    }
    const connector = known.find((c) => c.name === name);
    if (!connector) {
      const names = known.map((c) => c.name).join(', ') || '(none)';
      problems.push({
        path: at('name'),
        message: `no connector "${name}" in the running config (configured: ${names})`,
      });
      return;
    }
    if (seen.has(name)) {
      problems.push({ path: at('name'), message: `connector "${name}" is named twice` });
      return;
    }
    seen.add(name);
    const module = options.modules.find((m) => m.type === connector.type);
    if (!module) {
      problems.push({
        path: at('name'),
        message: `connector type ${connector.type} is not in this build`,
      });
      return;
    }
    const parsed = policyEntrySchemaFor(module).safeParse(entry, { error: configErrorMap });
    if (!parsed.success) {
      problems.push(...schemaProblems(parsed.error.issues, at()));
      return;
    }
    const policy = parsed.data;
    const further = [
      ...ruleProblems(policy.rules, options.config.reviews.approvers),
      ...(options.check?.(policy, connector) ?? []),
    ];
    for (const problem of further) problems.push({ ...problem, path: at(...problem.path) });
    if (further.length > 0) return;
    connectors.push(policy);
    kept.push(
      Object.fromEntries(POLICY_KEYS.filter((key) => key in entry).map((key) => [key, entry[key]])),
    );
  });
  if (problems.length > 0) throw fail();
  return { connectors, text: stringify({ connectors: kept }) };
}

/**
 * The config in force with a central policy on top: each named connector's `default`, `rules`
 * and `masking` replaced by the document's; connectors it does not name (or that the config no
 * longer has) keep the YAML's.
 */
export function overlayPolicy(config: Config, policy: ReadonlyArray<ConnectorPolicy>): Config {
  if (policy.length === 0) return config;
  const byName = new Map(policy.map((p) => [p.name, p]));
  return {
    ...config,
    connectors: config.connectors.map((connector) => {
      const replaced = byName.get(connector.name);
      return replaced
        ? {
            ...connector,
            default: replaced.default,
            rules: replaced.rules,
            masking: replaced.masking,
          }
        : connector;
    }),
  };
}

/** Splits a masking or policy issue path such as `masking[0].columns[1]` into its keys. */
export function splitKeyPath(path: string): PropertyKey[] {
  const keys: PropertyKey[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    keys.push(match[2] === undefined ? match[1]! : Number(match[2]));
  }
  return keys;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
