import type { ChildProcess } from 'node:child_process';
import { type ProcessResult, runProcess } from './process.js';

export type { ProcessResult } from './process.js';

/** Where and as whom a libpq client (psql, pgbench) connects. */
export interface LibpqTarget {
  host: string;
  port: number;
  user: string;
  database: string;
  /** Passed as PGPASSWORD (a gateway token), never on the command line. */
  password?: string;
  /** libpq sslmode; `disable` unless given (`prefer` is what libpq does by default). */
  sslmode?: string;
}

/**
 * The environment for a libpq client: the caller's, minus every PG* variable that could steer
 * it somewhere else, plus the password. SSL (unless `target.sslmode` says otherwise) and GSS
 * encryption off so both sides speak plain protocol (the listener is loopback).
 */
export function libpqEnv(target: LibpqTarget): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('PG')) env[key] = value;
  if (target.password !== undefined) env['PGPASSWORD'] = target.password;
  env['PGSSLMODE'] = target.sslmode ?? 'disable';
  env['PGGSSENCMODE'] = 'disable';
  env['PGCONNECT_TIMEOUT'] = '10';
  return env;
}

/** `-h … -p … -U … -d …` for psql and pgbench. */
export function libpqArgs(target: LibpqTarget): string[] {
  return ['-h', target.host, '-p', String(target.port), '-U', target.user, '-d', target.database];
}

/**
 * Runs a psql script from stdin: no psqlrc, unaligned `|`-separated output, NULL shown as
 * `<NULL>`, verbose errors (SQLSTATE, every field, source location), errors do not stop the
 * script so one run covers many cases.
 */
export function psql(
  target: LibpqTarget,
  script: string,
  extraArgs: string[] = [],
  started?: (child: ChildProcess) => void,
): Promise<ProcessResult> {
  const args = [
    ...libpqArgs(target),
    '-X',
    '-A',
    '-F',
    '|',
    '-P',
    'null=<NULL>',
    '-v',
    'VERBOSITY=verbose',
    '-v',
    'SHOW_CONTEXT=always',
    ...extraArgs,
    '-f',
    '-',
  ];
  return runProcess('psql', args, { env: libpqEnv(target), input: script, started });
}

/** Runs pgbench with the given arguments against `target`. */
export function pgbench(target: LibpqTarget, args: string[]): Promise<ProcessResult> {
  return runProcess('pgbench', [...libpqArgs(target).slice(0, 6), ...args, target.database], {
    env: libpqEnv(target),
  });
}
