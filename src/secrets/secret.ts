import { readFileSync } from 'node:fs';

/**
 * A secret given by reference: `{env: NAME}` or `{file: PATH}`. The config schema's `secretRef`
 * parses to this shape; it is spelled out here so secrets and config do not import each other.
 */
export type SecretRef = { env: string } | { file: string };

/**
 * A secret reference that cannot be resolved. The message names the environment variable or
 * file, never a value.
 */
export class SecretError extends Error {
  /** The reference as `describeSecret` prints it (`env:NAME`, `file:PATH`). */
  readonly reference: string;

  constructor(ref: SecretRef, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretError';
    this.reference = describeSecret(ref);
  }
}

/** How a reference appears in logs and errors: `env:NAME` or `file:PATH`. Never the value. */
export function describeSecret(ref: SecretRef): string {
  return 'env' in ref ? `env:${ref.env}` : `file:${ref.file}`;
}

/** True for a `{env: NAME}` or `{file: PATH}` object (and nothing else). */
export function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const field = (value as Record<string, unknown>)[keys[0]!];
  return (keys[0] === 'env' || keys[0] === 'file') && typeof field === 'string';
}

/**
 * Reads a secret at the moment it is needed. `{env: NAME}` is the variable's value;
 * `{file: PATH}` is the file's content without one trailing newline (`\n` or `\r\n`), so
 * files written by `echo` or Kubernetes secret mounts work as is. A relative PATH is taken
 * from the working directory; `loadConfig` has already made config paths absolute.
 * An unset variable, an unreadable file and an empty value all throw `SecretError`:
 * an empty credential is a mistake, and using it would fail later and less clearly.
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined) {
      throw new SecretError(ref, `environment variable ${ref.env} is not set`);
    }
    if (value === '') throw new SecretError(ref, `environment variable ${ref.env} is empty`);
    return value;
  }
  let content: string;
  try {
    content = readFileSync(ref.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SecretError(ref, `cannot read secret file ${ref.file} (${code})`, { cause: err });
  }
  const value = content.endsWith('\r\n')
    ? content.slice(0, -2)
    : content.endsWith('\n')
      ? content.slice(0, -1)
      : content;
  if (value === '') throw new SecretError(ref, `secret file ${ref.file} is empty`);
  return value;
}

/** Checks that a reference resolves, without handing out the value: a problem, or undefined. */
export function checkSecret(
  ref: SecretRef,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  try {
    resolveSecret(ref, env);
    return undefined;
  } catch (err) {
    if (err instanceof SecretError) return err.message;
    throw err;
  }
}
