import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '../../src/config/config-error.js';
import {
  overlayPolicy,
  parsePolicyDocument,
  splitKeyPath,
} from '../../src/config/policy-document.js';
import { CONNECTOR_MODULES, parseConfig } from '../../src/connectors/registry.js';

const SPEC = 'examples/spec-example.yaml';
const specText = readFileSync(SPEC, 'utf8');
const config = parseConfig(specText, SPEC);
const options = { modules: CONNECTOR_MODULES, config };

const issuesOf = (text: string) => {
  try {
    parsePolicyDocument(text, 'policy.yaml', options);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('the document was accepted');
};

/** Central policy documents (docs/policy.md, "Central policy"), without a store. */
describe('parsePolicyDocument', () => {
  it('applies a whole config file as is: only connectors[].name/default/rules/masking are kept', () => {
    const document = parsePolicyDocument(specText, SPEC, options);
    const connector = config.connectors[0]!;
    expect(document.connectors).toEqual([
      {
        name: connector.name,
        default: connector.default,
        rules: connector.rules,
        masking: connector.masking,
      },
    ]);
    const stored = parse(document.text) as { connectors: Array<Record<string, unknown>> };
    expect(Object.keys(stored)).toEqual(['connectors']);
    expect(Object.keys(stored.connectors[0]!)).toEqual(['name', 'default', 'rules', 'masking']);
    // Durations stay as written, so the stored text applies again and means the same.
    expect(document.text).toContain('timeout: 1h');
    expect(parsePolicyDocument(document.text, 'again', options)).toEqual(document);
  });

  it('fills the config defaults for an excerpt', () => {
    const document = parsePolicyDocument('connectors:\n  - name: pg-prod\n', 'p', options);
    expect(document.connectors).toEqual([
      { name: 'pg-prod', default: 'allow', rules: [], masking: [] },
    ]);
  });

  it('reports every problem with key path and line', () => {
    expect(
      issuesOf(`connectors:
  - name: pg-prod
    default: maybe
  - name: pg-prod
  - name: other
  - just a string
`),
    ).toEqual([
      expect.objectContaining({ path: 'connectors[0].default', line: 3 }),
      expect.objectContaining({
        path: 'connectors[1].name',
        line: 4,
        message: 'connector "pg-prod" is named twice',
      }),
      expect.objectContaining({
        path: 'connectors[2].name',
        line: 5,
        message: 'no connector "other" in the running config (configured: pg-prod)',
      }),
      expect.objectContaining({ path: 'connectors[3]', line: 6 }),
    ]);
    expect(issuesOf('rules: []\n')).toEqual([
      expect.objectContaining({ path: 'connectors', message: 'required' }),
    ]);
    expect(issuesOf('- a list\n')[0]!.message).toBe('expected a mapping with connectors:');
  });

  it('checks review rules as config does, and runs the extra checks on valid entries', () => {
    const noApprovers = { ...config, reviews: { ...config.reviews, approvers: [] } };
    expect(() =>
      parsePolicyDocument(
        `connectors:
  - name: pg-prod
    rules:
      - { name: r, action: review }
`,
        'p',
        { ...options, config: noApprovers },
      ),
    ).toThrow(/connectors\[0\]\.rules\[0\]\.review\.approvers: a review rule needs approvers/);
    expect(() =>
      parsePolicyDocument('connectors:\n  - name: pg-prod\n', 'p', {
        ...options,
        check: () => [{ path: ['masking', 0], message: 'no good' }],
      }),
    ).toThrow(/p:2: connectors\[0\]\.masking\[0\]: no good/);
  });
});

describe('overlayPolicy', () => {
  it("replaces each named connector's default, rules and masking; the rest stays", () => {
    const policy = [{ name: 'pg-prod', default: 'deny' as const, rules: [], masking: [] }];
    const next = overlayPolicy(config, policy);
    expect(next.connectors[0]).toEqual({ ...config.connectors[0], ...policy[0] });
    expect(next.identity).toBe(config.identity);
    expect(overlayPolicy(config, [])).toBe(config);
    expect(overlayPolicy(config, [{ ...policy[0]!, name: 'gone' }]).connectors).toEqual(
      config.connectors,
    );
  });
});

describe('splitKeyPath', () => {
  it('splits masking issue paths', () => {
    expect(splitKeyPath('masking[0].columns[12]')).toEqual(['masking', 0, 'columns', 12]);
    expect(splitKeyPath('masking.hash_key')).toEqual(['masking', 'hash_key']);
  });
});

describe('the reserved connector name', () => {
  it('refuses a connector named policy (central policy tickets carry that name)', () => {
    const text = specText.replace('- name: pg-prod', '- name: policy');
    expect(() => parseConfig(text, SPEC)).toThrow(/connectors\[0\]\.name: "policy" is reserved/);
  });
});
