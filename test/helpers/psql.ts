import { type ChildProcess, spawn } from 'node:child_process';

/** Where and as whom a libpq client (psql, pgbench) connects. */
export interface LibpqTarget {
  host: string;
  port: number;
  user: string;
  database: string;
  /** Passed as PGPASSWORD (a gateway token), never on the command line. */
  password?: string;
}

/** What a client process printed and how it ended. */
export interface ProcessResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The environment for a libpq client: the caller's, minus every PG* variable that could steer
 * it somewhere else, plus the password. SSL and GSS encryption off so both sides speak plain
 * protocol (the listener is loopback).
 */
export function libpqEnv(target: LibpqTarget): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('PG')) env[key] = value;
  if (target.password !== undefined) env['PGPASSWORD'] = target.password;
  env['PGSSLMODE'] = 'disable';
  env['PGGSSENCMODE'] = 'disable';
  env['PGCONNECT_TIMEOUT'] = '10';
  return env;
}

/** `-h … -p … -U … -d …` for psql and pgbench. */
export function libpqArgs(target: LibpqTarget): string[] {
  return ['-h', target.host, '-p', String(target.port), '-U', target.user, '-d', target.database];
}

/** Spawns a client with `input` on stdin; `started` sees the child (to signal it). */
export function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input = '',
  started?: (child: ChildProcess) => void,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
        signal,
      }),
    );
    child.stdin.on('error', () => {}); // the client may exit before reading all input
    child.stdin.end(input);
    started?.(child);
  });
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
  return runProcess('psql', args, libpqEnv(target), script, started);
}

/** Runs pgbench with the given arguments against `target`. */
export function pgbench(target: LibpqTarget, args: string[]): Promise<ProcessResult> {
  return runProcess(
    'pgbench',
    [...libpqArgs(target).slice(0, 6), ...args, target.database],
    libpqEnv(target),
  );
}
