import { resolve } from 'node:path';
import { type ProcessResult, runProcess } from './process.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = resolve(ROOT, 'src/cli/main.ts');
const REGISTER = resolve(import.meta.dirname, 'ts-register.mjs');

export interface CliOptions {
  cwd?: string;
  /** Added to (or, with `undefined` values, removed from) the caller's environment. */
  env?: Record<string, string | undefined>;
  input?: string;
}

/**
 * Runs the `gatehouse` command as a separate process, from the sources (always in step with the
 * tree, no build needed): Node 24 with type transformation and a `.js` → `.ts` resolve hook.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<ProcessResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn' };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const nodeArgs = [
    '--experimental-transform-types',
    '--no-warnings',
    '--import',
    REGISTER,
    MAIN,
    ...args,
  ];
  return runProcess(process.execPath, nodeArgs, {
    env,
    input: options.input ?? '',
    cwd: options.cwd ?? ROOT,
  });
}

/** The repository root (where `examples/` lives). */
export const REPO_ROOT = ROOT;
