import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { MaskingRuleConfig } from '../config/schema.js';
import { compileMasking } from './compile.js';
import { BUILTIN_DETECTORS } from './detectors/index.js';

const doc = readFileSync(new URL('../../docs/masking.md', import.meta.url), 'utf8');

describe('docs/masking.md', () => {
  it('has an example configuration that compiles and behaves as described', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const config = parse(yaml) as {
      masking: { custom: Record<string, string> };
      connectors: Array<{ masking: MaskingRuleConfig[] }>;
    };
    const plan = compileMasking(config.connectors[0]!.masking, {
      hashKey: 'documentation-example-key',
      custom: config.masking.custom,
    });
    const { plan: masker, exemptions } = plan.forIdentity(['compliance']);
    expect(exemptions).toHaveLength(1);
    expect(masker.columnMasker('public.users', 'email')?.('a@b.io')).toBe('[redacted]');
    expect(masker.columnMasker('users', 'password_hash')?.('x')).toBeNull();
    expect(masker.columnMasker('tickets', 'body')?.('ask EMP-123456')).toMatch(
      /^ask h:[0-9a-f]{16}$/,
    );
  });

  it('documents every built-in detector', () => {
    for (const name of BUILTIN_DETECTORS.keys()) expect(doc).toContain(`| \`${name}\``);
  });
});
