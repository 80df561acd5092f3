import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type Config, type ConnectorSchemaModule, type SecretRef, secretRef } from './schema.js';
import type { SchemaProblem } from './schema-issues.js';

/** A file named in the config, with where it sits and how to rewrite it. */
interface FileField {
  path: PropertyKey[];
  file: string;
  set(file: string): void;
  /** Must be readable at start (TLS material); false for files the gateway creates. */
  mustExist: boolean;
}

/**
 * Every `{env}`/`{file}` reference in the config with its key path. Found by shape rather
 * than by a list of keys, so secret references added to the schema later are covered too.
 */
export function findSecretRefs(
  config: unknown,
  path: PropertyKey[] = [],
): Array<{ path: PropertyKey[]; ref: SecretRef }> {
  const ref = secretRef.safeParse(config);
  // The object itself, not the parsed copy: resolveConfigPaths rewrites relative files in place.
  if (ref.success) return [{ path, ref: config as SecretRef }];
  if (Array.isArray(config))
    return config.flatMap((item, index) => findSecretRefs(item, [...path, index]));
  if (typeof config !== 'object' || config === null) return [];
  return Object.entries(config).flatMap(([key, value]) => findSecretRefs(value, [...path, key]));
}

function fileFields(config: Config, modules: ReadonlyArray<ConnectorSchemaModule>): FileField[] {
  const fields: FileField[] = [];
  const tls = config.server.tls;
  if (tls) {
    fields.push({
      path: ['server', 'tls', 'cert'],
      file: tls.cert,
      set: (f) => {
        tls.cert = f;
      },
      mustExist: true,
    });
    fields.push({
      path: ['server', 'tls', 'key'],
      file: tls.key,
      set: (f) => {
        tls.key = f;
      },
      mustExist: true,
    });
  }
  config.identity.issuers.forEach((issuer, i) => {
    if (issuer.key_file === undefined) return;
    fields.push({
      path: ['identity', 'issuers', i, 'key_file'],
      file: issuer.key_file,
      set: (f) => {
        issuer.key_file = f;
      },
      mustExist: false,
    });
  });
  config.connectors.forEach((connector, i) => {
    const module = modules.find((m) => m.type === connector.type);
    for (const file of module?.targetFiles?.(connector.target as never) ?? []) {
      fields.push({
        path: ['connectors', i, 'target', ...file.path],
        file: file.file,
        set: (f) => file.set(f),
        mustExist: true,
      });
    }
  });
  for (const { path, ref } of findSecretRefs(config)) {
    if ('file' in ref)
      fields.push({
        path,
        file: ref.file,
        set: (f) => {
          ref.file = f;
        },
        mustExist: false,
      });
  }
  return fields;
}

/**
 * Makes every relative file path in the config absolute against `baseDir` (the config file's
 * directory): the SQLite path in `store.url`, `server.tls` files, issuer `key_file`, target
 * TLS files a connector module names, and `{file}` secret references. Mutates the freshly validated config.
 */
export function resolveConfigPaths(
  config: Config,
  baseDir: string,
  modules: ReadonlyArray<ConnectorSchemaModule>,
): void {
  const sqlite = /^sqlite:(.*)$/.exec(config.store.url);
  if (sqlite && sqlite[1] !== ':memory:' && !isAbsolute(sqlite[1]!)) {
    config.store.url = `sqlite:${resolve(baseDir, sqlite[1]!)}`;
  }
  for (const field of fileFields(config, modules)) {
    if (!isAbsolute(field.file)) field.set(resolve(baseDir, field.file));
  }
}

/**
 * Why a secret reference does not resolve (unset variable, unreadable or empty file), or
 * undefined when it does. The secrets layer provides it (`checkSecret`); config only finds the
 * references, so neither layer imports the other.
 */
export type SecretCheck = (ref: SecretRef, env: NodeJS.ProcessEnv) => string | undefined;

/**
 * Checks that every `{env}`/`{file}` reference in `data` resolves (variable set, file
 * readable, non-empty) without keeping any value. Works on the raw document too, so unset
 * secrets are reported together with schema errors; relative files are taken from `baseDir`.
 */
export function checkSecretRefs(
  data: unknown,
  baseDir: string,
  checkSecret: SecretCheck,
  env: NodeJS.ProcessEnv = process.env,
): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const { path, ref } of findSecretRefs(data)) {
    const absolute = 'file' in ref ? { file: resolve(baseDir, ref.file) } : ref;
    const problem = checkSecret(absolute, env);
    if (problem) problems.push({ path, message: problem });
  }
  return problems;
}

/** Checks that the TLS files the config names are readable. Run after `resolveConfigPaths`. */
export function checkTlsFiles(
  config: Config,
  modules: ReadonlyArray<ConnectorSchemaModule>,
): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const field of fileFields(config, modules)) {
    if (!field.mustExist) continue;
    try {
      accessSync(field.file, constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push({ path: field.path, message: `cannot read ${field.file} (${code})` });
    }
  }
  return problems;
}
