import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type IFlattenedRuleSet, type IViolation } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer rules of .dependency-cruiser.cjs (run by `npm run lint:layers`) against a throw-away
 * tree of one-line modules, so a rule that silently stopped matching fails here. The tree lives
 * in a temp dir; nothing is written under src/.
 */
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as {
  forbidden: IFlattenedRuleSet['forbidden'];
  options: Record<string, unknown>;
};

/** A module at `path` (under the temp root) importing each of `imports` (root-relative). */
type Fixture = [path: string, imports: string[]];

function importFrom(from: string, to: string): string {
  const depth = from.split('/').length - 1;
  return `import '${'../'.repeat(depth)}${to.replace(/\.ts$/, '.js')}';`;
}

async function violations(root: string, fixtures: Fixture[]): Promise<IViolation[]> {
  for (const [path, imports] of fixtures) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${imports.map((to) => importFrom(path, to)).join('\n')}\nexport {};\n`);
  }
  const { tsConfig: _projectOnly, ...options } = config.options;
  const result = await cruise(['src'], {
    ...options,
    baseDir: root,
    validate: true,
    ruleSet: { forbidden: config.forbidden },
  });
  if (typeof result.output === 'string') throw new Error('expected a cruise result object');
  return result.output.summary.violations;
}

/** `rule: from -> to` for each violation, sorted, for exact comparison. */
const described = (found: IViolation[]) =>
  [...new Set(found.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`))].sort();

describe('layer rules (.dependency-cruiser.cjs)', () => {
  let root: string;
  let fresh = 0;
  /** A new empty tree per case, so cases do not see each other's files. */
  const tree = () => {
    const dir = join(root, `case-${++fresh}`);
    mkdirSync(dir);
    return dir;
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'gh-layers-'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('allows imports of the own layer and lower ones', async () => {
    const found = await violations(tree(), [
      ['src/config/schema.ts', []],
      ['src/secrets/secret.ts', []],
      ['src/core/gate.ts', ['src/config/schema.ts']],
      ['src/policy/policy.ts', ['src/core/gate.ts', 'src/masking/index.ts']],
      ['src/masking/index.ts', []],
      ['src/approvals/approval-service.ts', ['src/core/gate.ts', 'src/store/store.ts']],
      ['src/store/store.ts', ['src/core/gate.ts']],
      ['src/server/gateway.ts', ['src/api/schemas.ts', 'src/console/routes.ts']],
      ['src/connectors/registry.ts', ['src/connectors/postgres/index.ts']],
      ['src/connectors/postgres/index.ts', ['src/connectors/postgres/relay.ts']],
      ['src/connectors/postgres/relay.ts', ['src/audit/read.ts', 'src/core/gate.ts']],
      ['src/audit/read.ts', ['src/store/store.ts']],
      ['src/console/routes.ts', ['src/api/schemas.ts', 'src/connectors/registry.ts']],
      ['src/api/schemas.ts', ['src/approvals/approval-service.ts']],
      ['src/cli/main.ts', ['src/server/gateway.ts', 'src/demo/run.ts']],
      ['src/demo/run.ts', ['src/api/schemas.ts']],
    ]);
    expect(described(found)).toEqual([]);
  });

  it('reports an import of a higher layer', async () => {
    const found = await violations(tree(), [
      ['src/core/gate.ts', ['src/approvals/approval-service.ts']],
      ['src/approvals/approval-service.ts', []],
      ['src/store/tickets.ts', ['src/audit/audit-event.ts']],
      ['src/audit/audit-event.ts', []],
      ['src/console/routes.ts', ['src/cli/commands/tester.ts']],
      ['src/cli/commands/tester.ts', []],
      ['src/config/schema.ts', ['src/core/errors.ts']],
      ['src/core/errors.ts', []],
    ]);
    expect(described(found)).toEqual([
      'layer-config: src/config/schema.ts -> src/core/errors.ts',
      'layer-console: src/console/routes.ts -> src/cli/commands/tester.ts',
      'layer-core: src/core/gate.ts -> src/approvals/approval-service.ts',
      'layer-store: src/store/tickets.ts -> src/audit/audit-event.ts',
    ]);
  });

  it('keeps config and secrets apart, and the API off the console', async () => {
    const found = await violations(tree(), [
      ['src/config/load.ts', ['src/secrets/index.ts']],
      ['src/secrets/index.ts', ['src/config/schema.ts']],
      ['src/config/schema.ts', []],
      ['src/api/server.ts', ['src/console/cookie.ts']],
      ['src/console/cookie.ts', []],
    ]);
    expect(described(found)).toEqual([
      'api-not-console: src/api/server.ts -> src/console/cookie.ts',
      'config-secrets-apart: src/config/load.ts -> src/secrets/index.ts',
      'secrets-config-apart: src/secrets/index.ts -> src/config/schema.ts',
    ]);
  });

  it('reports src/ importing test/ or bench/', async () => {
    const found = await violations(tree(), [
      ['src/approvals/service.test.ts', ['test/approvals/fixture.ts', 'bench/lib/net.ts']],
      ['test/approvals/fixture.ts', []],
      ['bench/lib/net.ts', []],
    ]);
    expect(described(found)).toEqual([
      'src-not-test: src/approvals/service.test.ts -> bench/lib/net.ts',
      'src-not-test: src/approvals/service.test.ts -> test/approvals/fixture.ts',
    ]);
  });

  it('lets only the registry and the connector itself import a connector folder', async () => {
    const found = await violations(tree(), [
      ['src/server/gateway.ts', ['src/connectors/postgres/index.ts']],
      ['src/cli/commands/policy.ts', ['src/connectors/postgres/classifier.ts']],
      ['src/connectors/mysql/index.ts', ['src/connectors/postgres/classifier.ts']],
      ['src/connectors/postgres/index.ts', ['src/connectors/postgres/classifier.ts']],
      ['src/connectors/postgres/classifier.ts', []],
    ]);
    expect(described(found)).toEqual([
      'connector-not-other-connector: src/connectors/mysql/index.ts -> src/connectors/postgres/classifier.ts',
      'connector-only-via-registry: src/cli/commands/policy.ts -> src/connectors/postgres/classifier.ts',
      'connector-only-via-registry: src/server/gateway.ts -> src/connectors/postgres/index.ts',
    ]);
  });

  it('reports import cycles within src/', async () => {
    const found = await violations(tree(), [
      ['src/store/migrations/index.ts', ['src/store/migrations/0001-first.ts']],
      ['src/store/migrations/0001-first.ts', ['src/store/migrations/index.ts']],
    ]);
    // A cycle is reported once, from whichever module the cruise meets first.
    expect(found.map((v) => v.rule.name)).toEqual(['no-circular']);
    expect(found[0]!.cycle?.map((step) => step.name).sort()).toEqual([
      'src/store/migrations/0001-first.ts',
      'src/store/migrations/index.ts',
    ]);
  });
});
