import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ProcessResult, runProcess } from './process.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = resolve(ROOT, 'src/cli/gatehouse.ts');
const REGISTER = resolve(import.meta.dirname, 'ts-register.mjs');
const BUILT = resolve(ROOT, 'dist/src/cli/gatehouse.js');

/**
 * Node arguments that start `gatehouse`: the build `npm test` makes first (starts in well under
 * a second, even on a loaded CI machine), else the sources through type transformation and a
 * `.js` → `.ts` resolve hook. GATEHOUSE_CLI_FROM_SOURCE=1 forces the sources.
 */
export function cliNodeArgs(): string[] {
  if (process.env['GATEHOUSE_CLI_FROM_SOURCE'] !== '1' && existsSync(BUILT)) return [BUILT];
  return ['--experimental-transform-types', '--no-warnings', '--import', REGISTER, MAIN];
}

export interface CliOptions {
  cwd?: string;
  /** Added to (or, with `undefined` values, removed from) the caller's environment. */
  env?: Record<string, string | undefined>;
  input?: string;
}

/** Runs the `gatehouse` command as a separate process (see cliNodeArgs). */
export function runCli(args: string[], options: CliOptions = {}): Promise<ProcessResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn' };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const nodeArgs = [...cliNodeArgs(), ...args];
  return runProcess(process.execPath, nodeArgs, {
    env,
    input: options.input ?? '',
    cwd: options.cwd ?? ROOT,
  });
}

/** The repository root (where `examples/` lives). */
export const REPO_ROOT = ROOT;
