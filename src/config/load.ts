import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue, formatKeyPath } from './config-error.js';
import { locate } from './locate.js';
import {
  checkSecretRefs,
  checkTlsFiles,
  resolveConfigPaths,
  type SecretCheck,
} from './references.js';
import { buildConfigSchema, type Config, type ConnectorSchemaModule } from './schema.js';
import { configErrorMap, type SchemaProblem, schemaProblems } from './schema-issues.js';

export { ConfigError, type ConfigIssue, formatIssue } from './config-error.js';

export interface ParseOptions {
  /**
   * The connector modules of this build (`src/connectors/registry.ts`): they supply each
   * connector type's `target` and rule-condition schemas.
   */
  modules: ReadonlyArray<ConnectorSchemaModule>;
  /**
   * Directory that relative paths in the config are resolved against. Defaults to the
   * directory of `sourceName` (so `parseConfig(text, 'conf/gatehouse.yaml')` behaves like
   * loading that file).
   */
  baseDir?: string;
  /**
   * Also check that every `{env}`/`{file}` secret reference resolves and that TLS files are
   * readable, reporting failures as issues at their key path. Default: false for
   * `parseConfig` (pure: reads nothing), true for `loadConfig` (the gateway must not start
   * with a credential it cannot read).
   */
  checkReferences?: boolean;
  /** How a secret reference is checked; required with `checkReferences`. */
  checkSecret?: SecretCheck;
  /** Environment used for `{env}` checks; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads, validates and normalises a config file. Relative paths inside it (the SQLite file in
 * `store.url`, `server.tls` files, an issuer's `key_file`, a target's TLS `ca`, `{file}`
 * secrets) are resolved against the config file's directory, not the working directory, so
 * the same file means the same thing wherever `gatehouse` is started from.
 * Throws `ConfigError` listing every problem (unreadable file, YAML syntax, schema, secret
 * references) with key path and line.
 */
export async function loadConfig(path: string, options: ParseOptions): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(path, [{ path: '', message: `cannot read config file (${code})` }]);
  }
  return parseConfig(text, path, {
    ...options,
    baseDir: options.baseDir ?? dirname(resolve(path)),
    checkReferences: options.checkReferences ?? true,
  });
}

/**
 * Validates config text. `sourceName` names the file in issues and (through its directory)
 * anchors relative paths unless `options.baseDir` is given. Throws `ConfigError`.
 */
export function parseConfig(text: string, sourceName: string, options: ParseOptions): Config {
  const { doc, lines, data } = readYaml(text, sourceName);
  const baseDir = options.baseDir ?? dirname(resolve(sourceName));
  const parsed = schemaFor(options.modules).safeParse(data, { error: configErrorMap });
  const problems = parsed.success ? [] : schemaProblems(parsed.error.issues);
  if (options.checkReferences) {
    // Secrets are checked on the document as written, so an unset variable is reported in
    // the same run as schema errors; not below a key the schema already rejected.
    const rejected = problems.map((problem) => formatKeyPath(problem.path));
    const under = (path: string) =>
      rejected.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
    if (!options.checkSecret) throw new TypeError('checkReferences needs a checkSecret');
    for (const problem of checkSecretRefs(data, baseDir, options.checkSecret, options.env)) {
      if (!under(formatKeyPath(problem.path))) problems.push(problem);
    }
  }
  if (!parsed.success) throw new ConfigError(sourceName, placeProblems(doc, lines, problems));
  const config = parsed.data;
  resolveConfigPaths(config, baseDir, options.modules);
  if (options.checkReferences) problems.push(...checkTlsFiles(config, options.modules));
  if (problems.length > 0) throw new ConfigError(sourceName, placeProblems(doc, lines, problems));
  return config;
}

/** A YAML text read for validation: the document (for positions) and its data. */
export interface YamlSource {
  doc: Document;
  lines: LineCounter;
  data: unknown;
}

/**
 * Parses YAML as config does (unique keys, no alias bombs); throws `ConfigError` for a syntax
 * error or an empty document.
 */
export function readYaml(text: string, sourceName: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      sourceName,
      doc.errors.map((error) => ({
        path: '',
        line: error.linePos?.[0].line,
        column: error.linePos?.[0].col,
        message: `YAML syntax: ${firstLine(error.message)}`,
      })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Alias bombs and the like: refuse the file rather than expand it.
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError(sourceName, [{ path: '', message: `YAML: ${message}` }]);
  }
  if (data === null || data === undefined) {
    throw new ConfigError(sourceName, [{ path: '', line: 1, message: 'config is empty' }]);
  }
  return { doc, lines, data };
}

const schemas = new WeakMap<
  ReadonlyArray<ConnectorSchemaModule>,
  ReturnType<typeof buildConfigSchema>
>();

/** The composed schema, built once per module list. */
function schemaFor(
  modules: ReadonlyArray<ConnectorSchemaModule>,
): ReturnType<typeof buildConfigSchema> {
  let schema = schemas.get(modules);
  if (!schema) {
    schema = buildConfigSchema(modules);
    schemas.set(modules, schema);
  }
  return schema;
}

/** Problems with their key path written out and their place in the source, in source order. */
export function placeProblems(
  doc: Document,
  lines: LineCounter,
  problems: SchemaProblem[],
): ConfigIssue[] {
  return problems
    .map((problem) => {
      const position = locate(doc, lines, problem.path, problem.atKey ? 'key' : 'value');
      return {
        path: formatKeyPath(problem.path),
        line: position?.line,
        column: position?.column,
        message: problem.message,
      };
    })
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** yaml's pretty errors append the position and a source excerpt; the issue carries both. */
function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
