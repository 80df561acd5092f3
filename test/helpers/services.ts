import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import pg from 'pg';

/** True when the suite runs in CI, where a missing service or client is a failure, not a skip. */
export const inCI = process.env['CI'] === 'true';

/** Where the machine's PostgreSQL listens for the integration suites (trust auth). */
export const LOCAL_POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

/**
 * In CI a missing dependency throws (the suite fails at collection); elsewhere it prints why
 * and returns false so the caller can `describe.skipIf(!ok)`.
 */
export function requirement(ok: boolean, what: string, hint: string): boolean {
  if (ok) return true;
  const message = `${what} is not available: ${hint}`;
  if (inCI) throw new Error(`${message} (CI=true: integration tests must not skip)`);
  console.warn(`skipping: ${message}`);
  return false;
}

/** Resolves true when something accepts TCP connections on host:port within `timeoutMs`. */
export function tcpReachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when `command` is on PATH. */
export function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The machine's PostgreSQL on 127.0.0.1:5432 answers queries as `postgres` without a password.
 * Fails the suite in CI when it does not; skips elsewhere.
 */
export async function requirePostgres(): Promise<boolean> {
  let ok = false;
  const client = new pg.Client({
    ...LOCAL_POSTGRES,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    await client.query('select 1');
    ok = true;
  } catch {
    ok = false;
  } finally {
    await client.end().catch(() => {});
  }
  return requirement(
    ok,
    'PostgreSQL',
    'start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth for 127.0.0.1), e.g. `pg_ctlcluster 15 main start`',
  );
}

/** Command-line clients (`psql`, `pgbench`, `mysql`, …) are on PATH. Fails in CI, skips elsewhere. */
export function requireCommands(
  commands: string[],
  hint = 'install them (Debian/Ubuntu: apt-get install postgresql-client postgresql-contrib)',
): boolean {
  const missing = commands.filter((c) => !commandExists(c));
  return requirement(missing.length === 0, missing.join(', ') || 'commands', hint);
}

/** A TCP service (MariaDB, Redis, …) is listening. Fails in CI, skips elsewhere. */
export async function requireService(
  name: string,
  host: string,
  port: number,
  hint: string,
): Promise<boolean> {
  return requirement(await tcpReachable(host, port), name, hint);
}
