// @ts-check
/**
 * Layer rules for src/, checked by `npm run lint:layers` (part of `npm test`); docs/architecture.md
 * explains the layers. test/layers/layers.test.ts proves each kind of rule really fails.
 *
 * Layers, lowest first. A module may import its own layer or a lower one, never a higher one.
 * masking is a library of value transforms (it needs only config's types), so core can name
 * the masking plan a connector receives; server is the composition root that builds the API
 * and the console.
 */
const LAYERS = [
  ['config', 'secrets'],
  ['masking'],
  ['core'],
  ['identity', 'policy', 'store'],
  ['audit', 'approvals'],
  ['connectors'],
  ['api', 'console'],
  ['server'],
  ['cli', 'demo'],
];

/** `^src/(a|b)/` for a list of top-level folders. */
const under = (folders) => `^src/(${folders.join('|')})/`;

const layerRules = LAYERS.slice(0, -1).flatMap((layer, index) => {
  const higher = LAYERS.slice(index + 1).flat();
  return layer.map((folder) => ({
    name: `layer-${folder}`,
    severity: 'error',
    comment: `src/${folder} may only import its own layer or lower ones, not ${higher.join(', ')}`,
    from: { path: under([folder]) },
    to: { path: under(higher) },
  }));
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'config-secrets-apart',
      severity: 'error',
      comment: 'config and secrets are the lowest layer and do not import each other',
      from: { path: under(['config']) },
      to: { path: under(['secrets']) },
    },
    {
      name: 'secrets-config-apart',
      severity: 'error',
      comment: 'config and secrets are the lowest layer and do not import each other',
      from: { path: under(['secrets']) },
      to: { path: under(['config']) },
    },
    {
      name: 'api-not-console',
      severity: 'error',
      comment:
        'console builds on the API (bearer auth, schemas); the API never imports the console',
      from: { path: under(['api']) },
      to: { path: under(['console']) },
    },
    {
      name: 'src-not-test',
      severity: 'error',
      comment: 'code under src/ (tests included) never imports from test/ or bench/',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'connector-only-via-registry',
      severity: 'error',
      comment:
        'only the connector registry and files inside src/connectors/<proto>/ import a connector folder',
      from: {
        path: '^src/',
        pathNot: ['^src/connectors/registry\\.ts$', '^src/connectors/[^/]+/'],
      },
      to: { path: '^src/connectors/[^/]+/' },
    },
    {
      name: 'connector-not-other-connector',
      severity: 'error',
      comment: 'a connector folder never imports another connector folder',
      from: { path: '^src/connectors/([^/]+)/' },
      to: { path: '^src/connectors/[^/]+/', pathNot: '^src/connectors/$1/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import cycles within src/',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'an import that does not resolve would hide a layer violation',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7.0's native compiler has no JS API for dependency-cruiser; swc parses the
    // sources instead, and reports type-only imports too (they count for layering).
    // Known gap: @swc/core's visitor does not know `using` declarations and stops the run
    // with "Unknown statement type: UsingDeclaration" (a failure, never a silent pass). No file
    // in src/ uses them today; test/ does, which is why only src/ is cruised.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: ['node_modules', '^test/', '^bench/'] },
    exclude: { path: 'node_modules' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
