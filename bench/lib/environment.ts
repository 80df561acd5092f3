import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import pg from 'pg';
import { findPgBouncer } from './pgbouncer.js';
import type { Upstream } from './targets.js';

function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]!
      .trim();
  } catch {
    return 'unavailable';
  }
}

/** What the numbers were measured on, for the report. */
export async function describeEnvironment(
  upstream: Upstream,
): Promise<Record<string, string | number>> {
  const client = new pg.Client({ ...upstream });
  let server = 'unknown';
  try {
    await client.connect();
    server = (await client.query<{ v: string }>('SHOW server_version')).rows[0]!.v;
  } catch {
    // reported as unknown; the run itself fails later with a clear message
  } finally {
    await client.end().catch(() => {});
  }
  const bouncer = findPgBouncer();
  return {
    node: process.version,
    os: `${process.platform} ${release()}`,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    postgres: server,
    pgbench: firstLine('pgbench', ['--version']),
    pgbouncer: bouncer ? firstLine(bouncer, ['--version']) : 'not installed',
    commit: firstLine('git', ['rev-parse', '--short', 'HEAD']),
  };
}
